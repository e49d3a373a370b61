#include "manifests/dpkg_query_parser.hpp"

#include <gtest/gtest.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace offstage::manifests {
namespace {

// Records every event as one line of text, so that a test compares one list.
class Recorder : public DpkgQueryParser::Handler {
public:
    void package(std::string_view name, std::string_view status) override {
        events.push_back("package " + std::string(name) + " [" + std::string(status) + "]");
    }
    void conffile(const ConffileLine& line) override {
        std::string event = "conffile " + std::string(line.path) + " | " + std::string(line.md5);
        if (line.obsolete) {
            event += " obsolete";
        }
        if (line.remove_on_upgrade) {
            event += " remove-on-upgrade";
        }
        events.push_back(event);
    }
    void file(std::string_view path) override { events.push_back("file " + std::string(path)); }

    std::vector<std::string> events;
};

constexpr const char* md5a = "60b725f10c9c85c70d97880dfe8191b3";
constexpr const char* md5b = "3b5d5c3712955042212316173ccf37be";

std::string sample_output() {
    // What dpkg-query prints for DpkgQueryParser::format: an installed package with conffiles
    // (one with spaces, one obsolete), a non-UTF-8 file name, and a package in config-files
    // state (removed, not purged) that still owns its conffile.
    return std::string("Ptiny-conf ii \nC\n /etc/tiny/a.conf ") + md5a +
           "\n /etc/tiny/with space.conf " + md5b + "\n /etc/tiny/old.conf " + md5a +
           " obsolete\nF\n /.\n /etc\n /etc/tiny/a.conf\n /etc/tiny/with space.conf\n"
           " /usr/share/tiny/caf\xe9\n /usr/share/tiny/ two  spaces \n\n"
           "Ptiny-gone rc \nC\n /etc/tiny-gone.conf " +
           md5b + "\nF\n /etc\n /etc/tiny-gone.conf\n\nPlibtiny:i386 ii \nC\n\nF\n /usr/lib/i386\n";
}

std::vector<std::string> expected_events() {
    return {
        "package tiny-conf [ii ]",
        std::string("conffile /etc/tiny/a.conf | ") + md5a,
        std::string("conffile /etc/tiny/with space.conf | ") + md5b,
        std::string("conffile /etc/tiny/old.conf | ") + md5a + " obsolete",
        "file /",
        "file /etc",
        "file /etc/tiny/a.conf",
        "file /etc/tiny/with space.conf",
        "file /usr/share/tiny/caf\xe9",
        "file /usr/share/tiny/ two  spaces ",
        "package tiny-gone [rc ]",
        std::string("conffile /etc/tiny-gone.conf | ") + md5b,
        "file /etc",
        "file /etc/tiny-gone.conf",
        "package libtiny:i386 [ii ]",
        "file /usr/lib/i386",
    };
}

TEST(DpkgQueryParser, ParsesPackagesConffilesAndFilesWithSpacesAndNonUtf8) {
    Recorder recorder;
    DpkgQueryParser parser(recorder);
    parser.feed(sample_output());
    parser.finish();
    EXPECT_EQ(recorder.events, expected_events());
}

TEST(DpkgQueryParser, GivesTheSameResultForEverySplitOfTheStream) {
    // A pipe delivers arbitrary chunks: lines split across reads must come out whole.
    const std::string output = sample_output();
    for (std::size_t chunk = 1; chunk <= 17; ++chunk) {
        Recorder recorder;
        DpkgQueryParser parser(recorder);
        for (std::size_t at = 0; at < output.size(); at += chunk) {
            parser.feed(std::string_view(output).substr(at, chunk));
        }
        parser.finish();
        EXPECT_EQ(recorder.events, expected_events()) << "chunk size " << chunk;
    }
}

TEST(DpkgQueryParser, ParsesALastLineWithoutNewlineOnFinish) {
    Recorder recorder;
    DpkgQueryParser parser(recorder);
    parser.feed("Pa ii \nF\n /usr/bin/a");
    EXPECT_EQ(recorder.events.size(), 1u);
    parser.finish();
    EXPECT_EQ(recorder.events.back(), "file /usr/bin/a");
}

TEST(DpkgQueryParser, SplitsConffileLinesFromTheRight) {
    // The parts are views into the line: keep each line alive while looking at them.
    const std::string spaces = std::string(" /etc/a b c.conf ") + md5a;
    ConffileLine line = DpkgQueryParser::parse_conffile_line(spaces);
    EXPECT_EQ(line.path, "/etc/a b c.conf");
    EXPECT_EQ(line.md5, md5a);
    EXPECT_FALSE(line.obsolete);
    EXPECT_FALSE(line.remove_on_upgrade);

    // A path that ends in a word looking like a flag is still a path: flags follow the hash.
    const std::string flags =
        std::string(" /etc/x obsolete ") + md5a + " obsolete remove-on-upgrade";
    line = DpkgQueryParser::parse_conffile_line(flags);
    EXPECT_EQ(line.path, "/etc/x obsolete");
    EXPECT_TRUE(line.obsolete);
    EXPECT_TRUE(line.remove_on_upgrade);

    line = DpkgQueryParser::parse_conffile_line(" /etc/new.conf newconffile");
    EXPECT_EQ(line.md5, "newconffile");

    const std::string remove = std::string(" /etc/r.conf ") + md5b + " remove-on-upgrade";
    line = DpkgQueryParser::parse_conffile_line(remove);
    EXPECT_EQ(line.path, "/etc/r.conf");
    EXPECT_TRUE(line.remove_on_upgrade);
    EXPECT_FALSE(line.obsolete);
}

TEST(DpkgQueryParser, RejectsMalformedConffileLines) {
    EXPECT_THROW(DpkgQueryParser::parse_conffile_line(" /etc/a.conf"), std::runtime_error);
    EXPECT_THROW(DpkgQueryParser::parse_conffile_line(" /etc/a.conf nothex"), std::runtime_error);
    EXPECT_THROW(DpkgQueryParser::parse_conffile_line(std::string(" etc/a ") + md5a),
                 std::runtime_error);
    EXPECT_THROW(DpkgQueryParser::parse_conffile_line(std::string(" ") + md5a), std::runtime_error);
}

TEST(DpkgQueryParser, ErrorsNameTheLine) {
    Recorder recorder;
    DpkgQueryParser parser(recorder);
    try {
        parser.feed("Pa ii \nF\n /x\nbogus\n");
        FAIL() << "expected an error";
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "dpkg-query output line 4: unexpected line 'bogus'");
    }
    Recorder other;
    DpkgQueryParser orphan(other);
    EXPECT_THROW(orphan.feed(" /file/before/any/package\n"), std::runtime_error);
}

} // namespace
} // namespace offstage::manifests
