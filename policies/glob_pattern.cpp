#include "policies/glob_pattern.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>

namespace offstage::policies {

namespace {

bool is_literal(const GlobPattern::Element& element) {
    return element.kind == GlobPattern::ElementKind::one && element.bytes.count() == 1;
}

unsigned char literal_byte(const GlobPattern::Element& element) {
    for (std::size_t byte = 0; byte < 256; ++byte) {
        if (element.bytes.test(byte)) {
            return static_cast<unsigned char>(byte);
        }
    }
    return 0;
}

// Runs `body` with two zeroed state sets of `words` words each; small patterns (all of the
// default ones) stay on the stack, because match() runs for every file of the walk.
template <typename Body>
bool with_state_sets(std::size_t words, Body body) {
    constexpr std::size_t inline_words = 8;
    if (words <= inline_words) {
        std::array<std::uint64_t, 2 * inline_words> sets{};
        return body(sets.data(), sets.data() + inline_words);
    }
    std::vector<std::uint64_t> sets(2 * words, 0);
    return body(sets.data(), sets.data() + words);
}

} // namespace

GlobPattern::Element GlobPattern::Element::literal(unsigned char byte) {
    Element element{ElementKind::one, {}};
    element.bytes.set(byte);
    return element;
}

GlobPattern::GlobPattern(const std::vector<Element>& elements, bool tree)
    : tree_(tree) {
    // Leading components made only of literal bytes go into the index key; the NFA starts at
    // the '/' before the first component that is not literal.
    std::size_t start = 0;
    while (start < elements.size() && is_literal(elements[start]) &&
           literal_byte(elements[start]) == '/') {
        std::size_t end = start + 1;
        std::string component;
        while (end < elements.size() && is_literal(elements[end]) &&
               literal_byte(elements[end]) != '/') {
            component.push_back(static_cast<char>(literal_byte(elements[end])));
            ++end;
        }
        bool component_ends = end == elements.size() ||
                              (is_literal(elements[end]) && literal_byte(elements[end]) == '/');
        if (component.empty() || !component_ends) {
            break;
        }
        literal_components_.push_back(std::move(component));
        start = end;
    }

    std::bitset<256> all_bytes;
    all_bytes.set();
    std::bitset<256> all_but_slash = all_bytes;
    all_but_slash.reset('/');
    auto add = [this](const std::bitset<256>& bytes, bool loops,
                      std::initializer_list<std::size_t> epsilon) {
        State state{bytes, loops, {no_state, no_state}};
        std::size_t i = 0;
        for (std::size_t target : epsilon) {
            state.epsilon[i++] = static_cast<std::uint32_t>(target);
        }
        states_.push_back(state);
    };
    for (std::size_t i = start; i < elements.size(); ++i) {
        const Element& element = elements[i];
        std::size_t here = states_.size();
        switch (element.kind) {
        case ElementKind::one:
            add(element.bytes, false, {});
            break;
        case ElementKind::star:
            add(all_but_slash, true, {here + 1});
            break;
        case ElementKind::globstar:
            add(all_bytes, true, {here + 1});
            break;
        case ElementKind::optional_directories: {
            // "" or any run followed by the component's '/'. The choice is a state of its
            // own that consumes nothing: once the run has consumed a byte, skipping the '/'
            // is no longer an option.
            std::bitset<256> slash;
            slash.set('/');
            add(std::bitset<256>(), false, {here + 1, here + 3});
            add(all_bytes, true, {here + 2});
            add(slash, false, {});
            break;
        }
        }
    }

    const std::size_t count = states_.size() + 1; // with the accept state
    words_ = (count + 63) / 64;
    if (words_ == 1) {
        closure_word_.assign(count, 0);
        for (std::size_t state = 0; state < count; ++state) {
            closure_word_[state] = std::uint64_t{1} << state;
            close(&closure_word_[state]);
        }
    }

    std::string run;
    auto finish_run = [&] {
        if (run.size() > required_literal_.size()) {
            required_literal_ = run;
        }
        run.clear();
    };
    for (std::size_t i = start; i < elements.size(); ++i) {
        if (is_literal(elements[i])) {
            run.push_back(static_cast<char>(literal_byte(elements[i])));
        } else {
            finish_run();
        }
    }
    if (!tree_) {
        required_suffix_ = run;
    }
    finish_run();
    if (required_literal_.size() < 2) {
        required_literal_.clear(); // a lone '/' rejects nothing
    }
}

bool GlobPattern::accepting(const std::uint64_t* set) const {
    std::size_t accept = states_.size();
    return (set[accept / 64] >> (accept % 64)) & 1U;
}

void GlobPattern::close(std::uint64_t* set) const {
    // Epsilon moves only go forward: one ascending sweep, which also visits the states it adds,
    // closes the whole set in time linear in the number of states.
    for (std::size_t word = 0; word < words_; ++word) {
        std::uint64_t done = 0;
        for (std::uint64_t pending = set[word]; pending != 0; pending = set[word] & ~done) {
            auto bit = static_cast<std::size_t>(__builtin_ctzll(pending));
            done |= std::uint64_t{1} << bit;
            std::size_t state = word * 64 + bit;
            if (state >= states_.size()) {
                continue; // the accept state
            }
            for (std::uint32_t target : states_[state].epsilon) {
                if (target != no_state) {
                    set[target / 64] |= std::uint64_t{1} << (target % 64);
                }
            }
        }
    }
}

void GlobPattern::start(std::uint64_t* set) const {
    set[0] |= 1U;
    close(set);
}

bool GlobPattern::step(const std::uint64_t* current, std::uint64_t* next,
                       unsigned char byte) const {
    std::fill(next, next + words_, 0);
    bool any = false;
    for (std::size_t word = 0; word < words_; ++word) {
        std::uint64_t bits = current[word];
        while (bits != 0) {
            std::size_t state = word * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
            bits &= bits - 1;
            if (state < states_.size() && states_[state].bytes[byte]) {
                std::size_t target = states_[state].loops ? state : state + 1;
                next[target / 64] |= std::uint64_t{1} << (target % 64);
                any = true;
            }
        }
    }
    if (any) {
        close(next);
    }
    return any;
}

bool GlobPattern::matches_rest(std::string_view rest, bool is_directory) const {
    if (!required_suffix_.empty() && !rest.ends_with(required_suffix_)) {
        return false;
    }
    if (!required_literal_.empty() && rest.find(required_literal_) == std::string_view::npos) {
        return false;
    }
    if (words_ == 1) {
        // Up to 63 states (every default pattern): the state set is one machine word.
        const std::uint64_t accept = std::uint64_t{1} << states_.size();
        std::uint64_t current = closure_word_[0];
        for (char c : rest) {
            if (tree_ && c == '/' && (current & accept) != 0) {
                return true;
            }
            const auto byte = static_cast<unsigned char>(c);
            std::uint64_t next = 0;
            for (std::uint64_t bits = current & (accept - 1); bits != 0; bits &= bits - 1) {
                auto state = static_cast<std::size_t>(__builtin_ctzll(bits));
                if (states_[state].bytes[byte]) {
                    next |= closure_word_[states_[state].loops ? state : state + 1];
                }
            }
            if (next == 0) {
                return false;
            }
            current = next;
        }
        return (current & accept) != 0 && (!tree_ || is_directory);
    }
    return with_state_sets(words_, [&](std::uint64_t* current, std::uint64_t* next) {
        start(current);
        for (char c : rest) {
            // A tree pattern that matched a directory matches everything below it.
            if (tree_ && c == '/' && accepting(current)) {
                return true;
            }
            if (!step(current, next, static_cast<unsigned char>(c))) {
                return false;
            }
            std::swap(current, next);
        }
        return accepting(current) && (!tree_ || is_directory);
    });
}

bool GlobPattern::may_match_below(std::string_view rest) const {
    return with_state_sets(words_, [&](std::uint64_t* current, std::uint64_t* next) {
        start(current);
        for (char c : rest) {
            if (tree_ && c == '/' && accepting(current)) {
                return true;
            }
            if (!step(current, next, static_cast<unsigned char>(c))) {
                return false;
            }
            std::swap(current, next);
        }
        if (tree_ && accepting(current)) {
            return true;
        }
        // Anything live after the '/' may still reach the accept state.
        return step(current, next, '/');
    });
}

} // namespace offstage::policies
