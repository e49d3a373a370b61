#include "policies/policy_parser.hpp"

#include <cstdio>
#include <optional>

// The grammar, byte-oriented (patterns are raw bytes; non-UTF-8 is fine):
//
//   file      = { line "\n" }
//   line      = ws* [ rule ws* ] [ comment ]
//   comment   = "#" { any byte }            ; at line start or after whitespace only
//   rule      = verdict ws+ pattern | "exclude-volume" ws+ volume
//   verdict   = "exclude" | "expect" | "include"
//   pattern   = "/" [ component { "/" component } ] [ "/" ]   ; trailing "/": a tree pattern
//   component = { byte | "\" byte | "?" | "*" | "**" | class }  ; not empty, not "." or ".."
//   class     = "[" [ "!" | "^" ] [ "]" ] { cbyte [ "-" cbyte ] } "]"
//   cbyte     = byte | "\" byte                 ; never "/": a class never matches "/"
//   volume    = vbyte { vbyte }     ; an fnmatch(3) glob over OpenAFS volume names
//   vbyte     = printable ASCII but "/" and whitespace ("!".."~" without "/")
//   ws        = " " | "\t" | "\r" | "\f" | "\v"
//
// A pattern ends at the first unescaped whitespace; "\ " is a literal space. "/**/" as a whole
// component also matches zero components. Three or more '*' in a row, an empty component
// ("//"), "." and "..", a NUL byte and an escaped '/' are errors: such a pattern could never
// match a walked path, and an admin who wrote it meant something else. A line longer than
// PolicyParser::max_line_bytes is an error too (the bound on what one rule may cost).

namespace offstage::policies {

namespace {

using Element = GlobPattern::Element;
using ElementKind = GlobPattern::ElementKind;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// How a message shows bytes: quoted, printable ASCII as is, anything else as \xNN.
std::string quote(std::string_view bytes) {
    std::string shown = "'";
    for (char c : bytes) {
        auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
            shown.push_back(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            shown += escaped;
        }
    }
    return shown + "'";
}

struct LineFailure {
    std::size_t offset; // 0-based byte offset in the line
    std::string message;
};

class LineParser {
public:
    explicit LineParser(std::string_view line)
        : line_(line) {}

    // nullopt for a blank or comment line, and for an `exclude-volume` rule (whose pattern then
    // goes to `volume`); throws LineFailure.
    std::optional<std::pair<Verdict, std::string>>
    parse_rule(std::vector<Element>& elements, bool& tree, std::optional<std::string>& volume) {
        skip_space();
        if (at_end() || line_[pos_] == '#') {
            return std::nullopt;
        }
        std::size_t word_start = pos_;
        while (!at_end() && !is_space(line_[pos_])) {
            ++pos_;
        }
        std::string_view word = line_.substr(word_start, pos_ - word_start);
        Verdict verdict;
        if (word == "exclude-volume") {
            volume = parse_volume_pattern();
            return std::nullopt;
        }
        if (word == "exclude") {
            verdict = Verdict::exclude;
        } else if (word == "expect") {
            verdict = Verdict::expect;
        } else if (word == "include") {
            verdict = Verdict::include;
        } else {
            fail(word_start, "expected 'exclude', 'expect' or 'include'", quote(word));
        }
        skip_space();
        if (at_end() || line_[pos_] == '#') {
            fail(pos_, "expected a pattern after '" + std::string(word) + "'", found_here());
        }
        std::size_t pattern_start = pos_;
        parse_pattern(elements, tree);
        std::string written(line_.substr(pattern_start, pos_ - pattern_start));
        skip_space();
        if (!at_end() && line_[pos_] != '#') {
            fail(pos_, "expected end of line or a '#' comment after the pattern", found_here());
        }
        return std::make_pair(verdict, std::move(written));
    }

private:
    // The rest of an `exclude-volume` line: one volume-name glob and an optional comment.
    // Volume names are short printable ASCII, so a pattern with any other byte (or a '/', which
    // a path-minded admin might write) could never match and is an error.
    std::string parse_volume_pattern() {
        skip_space();
        if (at_end() || line_[pos_] == '#') {
            fail(pos_, "expected a volume name pattern after 'exclude-volume'", found_here());
        }
        std::size_t start = pos_;
        while (!at_end() && !is_space(line_[pos_])) {
            auto byte = static_cast<unsigned char>(line_[pos_]);
            if (byte < 0x21 || byte > 0x7e || byte == '/') {
                fail(pos_,
                     "expected a volume name pattern byte (printable ASCII, not '/': volume "
                     "names are not paths)",
                     quote(line_.substr(pos_, 1)));
            }
            ++pos_;
        }
        std::string pattern(line_.substr(start, pos_ - start));
        skip_space();
        if (!at_end() && line_[pos_] != '#') {
            fail(pos_, "expected end of line or a '#' comment after the pattern", found_here());
        }
        return pattern;
    }

    bool at_end() const { return pos_ >= line_.size(); }
    bool at_pattern_end(std::size_t at) const { return at >= line_.size() || is_space(line_[at]); }

    void skip_space() {
        while (!at_end() && is_space(line_[pos_])) {
            ++pos_;
        }
    }

    // The word at the current position, for "found ...".
    std::string found_here() const { return found_at(pos_); }
    std::string found_at(std::size_t at) const {
        if (at >= line_.size()) {
            return "end of line";
        }
        if (is_space(line_[at])) {
            return "whitespace (write a literal space as '\\ ')";
        }
        std::size_t end = at;
        while (end < line_.size() && !is_space(line_[end]) && end - at < 40) {
            ++end;
        }
        return quote(line_.substr(at, end - at));
    }

    [[noreturn]] void fail(std::size_t at, const std::string& expected, const std::string& found) {
        throw LineFailure{at, expected + ", found " + found};
    }

    void parse_pattern(std::vector<Element>& elements, bool& tree) {
        tree = false;
        if (line_[pos_] != '/') {
            fail(pos_, "expected '/' at the start of the pattern (patterns are absolute paths)",
                 found_here());
        }
        elements.push_back(Element::literal('/'));
        ++pos_;
        std::size_t component_begin = elements.size();
        std::size_t component_offset = pos_;
        while (!at_pattern_end(pos_)) {
            char c = line_[pos_];
            if (c == '/') {
                if (elements.size() == component_begin) {
                    fail(pos_, "expected a path component between two '/'", quote("/"));
                }
                check_dots(elements, component_begin, component_offset);
                ++pos_;
                if (at_pattern_end(pos_)) {
                    tree = true; // a trailing '/': the directory and everything below it
                    return;
                }
                elements.push_back(Element::literal('/'));
                component_begin = elements.size();
                component_offset = pos_;
            } else if (c == '\\') {
                if (pos_ + 1 >= line_.size()) {
                    fail(pos_ + 1, "expected a byte after '\\'", "end of line");
                }
                char escaped = line_[pos_ + 1];
                if (escaped == '/') {
                    fail(pos_ + 1,
                         "expected a byte other than '/' after '\\' ('/' separates components "
                         "and cannot be escaped)",
                         quote("/"));
                }
                check_byte(pos_ + 1);
                elements.push_back(Element::literal(static_cast<unsigned char>(escaped)));
                pos_ += 2;
            } else if (c == '*') {
                std::size_t stars = 0;
                while (pos_ + stars < line_.size() && line_[pos_ + stars] == '*') {
                    ++stars;
                }
                if (stars > 2) {
                    fail(pos_ + 2, "expected at most two '*' in a row", quote("*"));
                }
                if (stars == 1) {
                    elements.push_back({ElementKind::star, {}});
                    pos_ += 1;
                } else if (elements.size() == component_begin && pos_ + 2 < line_.size() &&
                           line_[pos_ + 2] == '/' && !at_pattern_end(pos_ + 3)) {
                    // "/**/" in the middle: zero or more whole components.
                    elements.push_back({ElementKind::optional_directories, {}});
                    pos_ += 3;
                    component_begin = elements.size();
                    component_offset = pos_;
                    if (!at_pattern_end(pos_) && line_[pos_] == '/') {
                        fail(pos_, "expected a path component between two '/'", quote("/"));
                    }
                } else {
                    elements.push_back({ElementKind::globstar, {}});
                    pos_ += 2;
                }
            } else if (c == '?') {
                Element any{ElementKind::one, {}};
                any.bytes.set();
                any.bytes.reset('/');
                elements.push_back(any);
                ++pos_;
            } else if (c == '[') {
                elements.push_back(parse_class());
            } else {
                check_byte(pos_);
                elements.push_back(Element::literal(static_cast<unsigned char>(c)));
                ++pos_;
            }
        }
        if (elements.size() > component_begin) {
            check_dots(elements, component_begin, component_offset);
        } else if (elements.size() == 1) {
            // The pattern "/": the root directory and everything below it.
            elements.clear();
            tree = true;
        }
    }

    void check_byte(std::size_t at) {
        if (line_[at] == '\0') {
            fail(at, "expected a pattern byte (a path never contains NUL)",
                 quote(line_.substr(at, 1)));
        }
    }

    void check_dots(const std::vector<Element>& elements, std::size_t begin, std::size_t offset) {
        std::size_t length = elements.size() - begin;
        if (length == 0 || length > 2) {
            return;
        }
        for (std::size_t i = begin; i < elements.size(); ++i) {
            if (elements[i].kind != ElementKind::one || elements[i].bytes.count() != 1 ||
                !elements[i].bytes.test('.')) {
                return;
            }
        }
        fail(offset,
             "expected a path component other than '.' or '..' (walked paths are normalised)",
             quote(std::string(length, '.')));
    }

    unsigned char class_byte() {
        if (at_pattern_end(pos_)) {
            fail(pos_,
                 "expected ']' to close the byte class opened at column " +
                     std::to_string(class_offset_ + 1),
                 at_end() ? std::string("end of line") : found_here());
        }
        if (line_[pos_] == '\\') {
            ++pos_;
            if (at_end()) {
                fail(pos_, "expected a byte after '\\'", "end of line");
            }
        }
        if (line_[pos_] == '/') {
            fail(pos_, "expected a byte other than '/' in a byte class (a class never matches '/')",
                 quote("/"));
        }
        check_byte(pos_);
        return static_cast<unsigned char>(line_[pos_++]);
    }

    Element parse_class() {
        class_offset_ = pos_;
        ++pos_;
        Element element{ElementKind::one, {}};
        bool negate = false;
        if (!at_end() && (line_[pos_] == '!' || line_[pos_] == '^')) {
            negate = true;
            ++pos_;
        }
        bool first = true;
        while (true) {
            if (!at_pattern_end(pos_) && line_[pos_] == ']' && !first) {
                ++pos_;
                break;
            }
            first = false;
            std::size_t range_offset = pos_;
            unsigned char low = class_byte();
            if (pos_ + 1 < line_.size() && line_[pos_] == '-' && line_[pos_ + 1] != ']' &&
                !is_space(line_[pos_ + 1])) {
                ++pos_;
                unsigned char high = class_byte();
                if (high < low) {
                    fail(range_offset, "expected a range in increasing byte order",
                         quote(line_.substr(range_offset, pos_ - range_offset)));
                }
                for (unsigned byte = low; byte <= high; ++byte) {
                    element.bytes.set(byte);
                }
            } else {
                element.bytes.set(low);
            }
        }
        if (negate) {
            element.bytes.flip();
        }
        element.bytes.reset('/');
        return element;
    }

    std::string_view line_;
    std::size_t pos_ = 0;
    std::size_t class_offset_ = 0;
};

} // namespace

std::vector<PolicyParser::ParsedRule> PolicyParser::parse(std::string_view text,
                                                          const std::string& file_name,
                                                          std::vector<PolicyError>& errors,
                                                          std::vector<VolumeRule>* volume_rules) {
    std::vector<ParsedRule> rules;
    unsigned line_number = 0;
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        ++line_number;
        std::string_view line = text.substr(begin, end - begin);
        begin = end + 1;
        if (line.size() > max_line_bytes) {
            errors.emplace_back(file_name, line_number, static_cast<unsigned>(max_line_bytes + 1),
                                "expected a line of at most " + std::to_string(max_line_bytes) +
                                    " bytes, found " + std::to_string(line.size()) + " bytes");
            continue;
        }
        LineParser parser(line);
        std::vector<Element> elements;
        bool tree = false;
        std::optional<std::string> volume;
        try {
            auto parsed = parser.parse_rule(elements, tree, volume);
            if (volume && volume_rules != nullptr) {
                volume_rules->push_back({std::move(*volume), file_name, line_number});
            }
            if (parsed) {
                rules.push_back(
                    {Rule{parsed->first, std::move(parsed->second), file_name, line_number},
                     GlobPattern(elements, tree)});
            }
        } catch (const LineFailure& failure) {
            errors.emplace_back(file_name, line_number, static_cast<unsigned>(failure.offset + 1),
                                failure.message);
        }
    }
    return rules;
}

} // namespace offstage::policies
