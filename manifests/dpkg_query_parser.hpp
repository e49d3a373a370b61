// Parses the output of `dpkg-query -W -f=FORMAT` (FORMAT below) as it streams in: one record
// per package with its name, status, conffiles and files. Paths are raw bytes; dpkg itself
// refuses newlines in paths, so lines are unambiguous, and a conffile line is split from the
// right because its path may contain spaces.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace offstage::manifests {

// One line of the Conffiles field: " PATH MD5 [obsolete] [remove-on-upgrade]".
struct ConffileLine {
    std::string_view path;
    std::string_view md5; // 32 hex digits, or "newconffile" (unpacked, not yet configured)
    bool obsolete = false;
    bool remove_on_upgrade = false;
};

class DpkgQueryParser {
public:
    // Receives what the parser finds, in output order.
    class Handler {
    public:
        virtual ~Handler() = default;
        // `status` is ${db:Status-Abbrev}, e.g. "ii " or "rc ".
        virtual void package(std::string_view name, std::string_view status) = 0;
        virtual void conffile(const ConffileLine& line) = 0;
        // A path of ${db-fsys:Files} ("/." is reported as "/").
        virtual void file(std::string_view path) = 0;
    };

    // The -f argument: a header line per package, then its conffiles after a "C" line and its
    // files after an "F" line. Field lines start with a space, header lines never do.
    static constexpr const char* format =
        "P${binary:Package} ${db:Status-Abbrev}\nC\n${Conffiles}\nF\n${db-fsys:Files}\n";

    explicit DpkgQueryParser(Handler& handler)
        : handler_(handler) {}
    // Feeds a chunk of output (any split); complete lines are parsed at once.
    void feed(std::string_view chunk);
    // Parses a last line without newline. Throws like feed().
    void finish();

    // " PATH MD5 [flags]" -> its parts. Throws std::runtime_error on a malformed line.
    static ConffileLine parse_conffile_line(std::string_view line);

private:
    void parse_line(std::string_view line);
    [[noreturn]] void fail(const std::string& what) const;

    enum class Section { none, header, conffiles, files };
    Handler& handler_;
    std::string partial_;
    Section section_ = Section::none;
    std::size_t line_number_ = 0;
};

} // namespace offstage::manifests
