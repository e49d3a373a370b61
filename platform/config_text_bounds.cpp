#include "platform/config_text_bounds.hpp"

#include "platform/config_file.hpp"
#include "platform/config_limits.hpp"
#include "platform/printable_name.hpp"

#include <string>

namespace offstage::platform {
namespace {

// Thrown where the text is not TOML: the walk ends and toml++ reports the error.
struct NotToml {};

class TextWalk {
public:
    TextWalk(std::string_view text, std::string_view source_name)
        : text_(text)
        , source_name_(source_name) {}

    void document() {
        if (starts_with("\xef\xbb\xbf")) {
            at_ += 3; // a UTF-8 byte order mark, which TOML (and toml++) allows
        }
        int table_depth = 0; // the depth of the last [table] or [[table]] header
        while (true) {
            skip_blanks();
            if (at_end()) {
                return;
            }
            if (peek() == '#' || newline_ahead()) {
                skip_comment();
                expect_line_end();
            } else if (peek() == '[') {
                table_depth = header();
                expect_line_end();
            } else {
                key_value(table_depth);
                expect_line_end();
            }
        }
    }

private:
    bool at_end(std::size_t ahead = 0) const { return at_ + ahead >= text_.size(); }
    char peek(std::size_t ahead = 0) const { return at_end(ahead) ? '\0' : text_[at_ + ahead]; }
    bool newline_ahead() const { return peek() == '\n' || (peek() == '\r' && peek(1) == '\n'); }
    bool starts_with(std::string_view what) const { return text_.substr(at_).starts_with(what); }

    void skip_blanks() {
        while (peek() == ' ' || peek() == '\t') {
            ++at_;
        }
    }
    void skip_comment() {
        if (peek() == '#') {
            while (!at_end() && !newline_ahead()) {
                ++at_;
            }
        }
    }
    // Blanks, comments and newlines: what may stand between the elements of an array (and,
    // leniently, of an inline table: a walk more lenient than toml++ never stops before it).
    void skip_blank_lines() {
        while (true) {
            skip_blanks();
            skip_comment();
            if (peek() == '\n') {
                ++at_;
            } else if (peek() == '\r' && peek(1) == '\n') {
                at_ += 2;
            } else {
                return;
            }
        }
    }
    void expect_line_end() {
        skip_blanks();
        skip_comment();
        if (at_end()) {
            return;
        }
        if (peek() == '\n') {
            ++at_;
        } else if (peek() == '\r' && peek(1) == '\n') {
            at_ += 2;
        } else {
            stop();
        }
    }

    // "[a.b]" or "[[a.b]]": returns the depth of the table it opens.
    int header() {
        std::size_t start = at_;
        bool array = peek(1) == '[';
        at_ += array ? 2 : 1;
        skip_blanks();
        int depth = key(start) + (array ? 1 : 0);
        skip_blanks();
        if (!starts_with(array ? "]]" : "]")) {
            stop();
        }
        at_ += array ? 2 : 1;
        check_depth(depth, start);
        return depth;
    }

    void key_value(int table_depth) {
        std::size_t start = at_;
        int depth = table_depth + key(start);
        check_depth(depth, start);
        skip_blanks();
        if (peek() != '=') {
            stop();
        }
        ++at_;
        skip_blanks();
        value(depth);
    }

    // A dotted key: returns its number of parts. `start` is where errors point.
    int key(std::size_t start) {
        int parts = 0;
        while (true) {
            skip_blanks();
            if (starts_with("\"\"\"") || starts_with("'''")) {
                // Not allowed in a key, but toml++ reads the whole string before it says so.
                multi_line_string(peek());
            } else if (peek() == '"') {
                basic_string();
            } else if (peek() == '\'') {
                literal_string();
            } else {
                std::size_t bare = at_;
                // Wider than TOML's bare keys (A-Za-z0-9_-): anything that ends no key.
                while (!at_end() && std::string_view(" \t\r\n.=[]{}#,\"'").find(peek()) ==
                                        std::string_view::npos) {
                    require_ascii();
                    ++at_;
                }
                if (at_ == bare) {
                    stop();
                }
            }
            // Counted as it goes: a 300000-part key fails at its first excess part.
            check_depth(++parts, start);
            skip_blanks();
            if (peek() != '.') {
                return parts;
            }
            ++at_;
        }
    }

    void value(int depth) {
        check_depth(depth, at_);
        if (starts_with("\"\"\"")) {
            multi_line_string('"');
        } else if (peek() == '"') {
            basic_string();
        } else if (starts_with("'''")) {
            multi_line_string('\'');
        } else if (peek() == '\'') {
            literal_string();
        } else if (peek() == '[') {
            array(depth);
        } else if (peek() == '{') {
            inline_table(depth);
        } else {
            // A number, boolean or date: up to what ends a value ("1979-05-27 07:32:00" holds
            // a space). No valid one holds a quote or bracket.
            std::size_t scalar = at_;
            while (!at_end() &&
                   std::string_view(",]}#\r\n").find(peek()) == std::string_view::npos) {
                require_ascii();
                ++at_;
            }
            if (at_ == scalar) {
                stop();
            }
        }
    }

    void array(int depth) {
        ++at_; // [
        while (true) {
            skip_blank_lines();
            if (peek() == ']') {
                ++at_;
                return;
            }
            value(depth + 1);
            skip_blank_lines();
            if (peek() == ',') {
                ++at_;
            } else if (peek() != ']') {
                stop();
            }
        }
    }

    void inline_table(int depth) {
        ++at_; // {
        skip_blank_lines();
        if (peek() == '}') {
            ++at_;
            return;
        }
        while (true) {
            skip_blank_lines();
            key_value(depth);
            skip_blank_lines();
            if (peek() == ',') {
                ++at_;
                skip_blank_lines();
            }
            if (peek() == '}') {
                ++at_;
                return;
            }
            if (at_end()) {
                stop();
            }
        }
    }

    void basic_string() {
        ++at_; // "
        while (true) {
            if (at_end() || peek() == '\n') {
                stop();
            }
            char c = text_[at_++];
            if (c == '"') {
                return;
            }
            if (c == '\\') {
                if (at_end()) {
                    stop();
                }
                ++at_;
            }
        }
    }

    void literal_string() {
        ++at_; // '
        while (true) {
            if (at_end() || peek() == '\n') {
                stop();
            }
            if (text_[at_++] == '\'') {
                return;
            }
        }
    }

    // """...""" (with escapes) or '''...''': ends at the first run of three or more quotes
    // (up to two more are part of the content).
    void multi_line_string(char quote) {
        at_ += 3;
        while (true) {
            if (at_end()) {
                stop();
            }
            char c = text_[at_++];
            if (c == '\\' && quote == '"') {
                // toml++ asks whether the escaped character, and after a line-ending backslash
                // the first one that is not white space, is Unicode white space: a question
                // its tables answer with undefined behaviour for many code points.
                const std::size_t escaped = at_;
                while (!at_end() &&
                       std::string_view(" \t\r\n").find(peek()) != std::string_view::npos) {
                    ++at_;
                }
                if (at_end()) {
                    stop();
                }
                require_ascii("after a backslash in a \"\"\" string, where offstage takes none");
                if (at_ == escaped) {
                    ++at_; // the escaped character; after a line-ending one, the content
                }
            } else if (c == quote) {
                std::size_t run = 1;
                while (peek() == quote) {
                    ++at_;
                    ++run;
                }
                if (run >= 3) {
                    return;
                }
            }
        }
    }

    // Where the walk cannot go on. A byte outside ASCII there is refused here rather than left
    // to toml++, whose check of it for Unicode white space is undefined behaviour for many code
    // points (toml++ 3.3's tables reach __builtin_unreachable): TOML 1.0 allows such bytes only
    // in strings and comments.
    [[noreturn]] void stop() const {
        require_ascii();
        throw NotToml{};
    }

    void require_ascii(
        std::string_view where = "outside a string or comment, where TOML allows none") const {
        if (!at_end() && static_cast<unsigned char>(peek()) >= 0x80) {
            fail_at(at_, "a byte outside ASCII (" + printable_name(text_.substr(at_, 1)) + ") " +
                             std::string(where));
        }
    }

    void check_depth(int depth, std::size_t where) const {
        if (depth <= max_config_depth) {
            return;
        }
        fail_at(where, "nested deeper than " + std::to_string(max_config_depth) +
                           " levels (the parts of a table header and of a dotted key, and the "
                           "arrays and inline tables around a value, count together)");
    }

    [[noreturn]] void fail_at(std::size_t where, const std::string& what) const {
        std::size_t line = 1;
        std::size_t line_start = 0;
        for (std::size_t i = 0; i < where; ++i) {
            if (text_[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        throw ConfigError(printable_name(source_name_, 200) + ":" + std::to_string(line) + ":" +
                          std::to_string(where - line_start + 1) + ": " + what);
    }

    std::string_view text_;
    std::string_view source_name_;
    std::size_t at_ = 0;
};

} // namespace

void check_config_text_bounds(std::string_view text, std::string_view source_name) {
    if (text.size() > max_config_bytes) {
        throw ConfigError(printable_name(source_name, 200) + ": larger than " +
                          std::to_string(max_config_bytes) + " bytes");
    }
    try {
        TextWalk(text, source_name).document();
    } catch (const NotToml&) {
        // Not TOML from here on: toml++ stops here too, and says why.
    }
}

} // namespace offstage::platform
