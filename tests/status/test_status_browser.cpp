// The status page in a real browser (label browser): Debian's headless Chromium opens the page
// `offstage status --html` wrote for a catalog of four weeks of runs with failures, driven over
// the DevTools protocol (check_page_in_chromium.py). Checked: the newest run's outcome and the
// plots in the DOM, the stylesheet applied under the page's own strict CSP, no console message
// or exception, no request but the page itself; the screenshot is kept under the build dir
// (tests/status/artifacts/status-page.png). A copy of the page whose stylesheet no longer
// matches its hash must produce a CSP error: the console check can fail.
#include "stager/catalog/catalog.hpp"
#include "tests/status/status_test_catalog.hpp"
#include "tests/status/status_test_tools.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* chromium = "/usr/bin/chromium";

nlohmann::json open_in_chromium(const fs::path& page, const fs::path& screenshot) {
    CommandResult result =
        run_command({debian_python, status_script("check_page_in_chromium.py"), page, screenshot});
    nlohmann::json report = nlohmann::json::parse(result.out, nullptr, false);
    if (result.exit_status != 0 || report.is_discarded() || report.contains("error")) {
        throw std::runtime_error("check_page_in_chromium.py: " + result.out + result.err);
    }
    return report;
}

// Width and height from the PNG's IHDR chunk.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& png) {
    auto be32 = [&](std::size_t at) {
        return (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at])) << 24) |
               (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16) |
               (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8) |
               static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 3]));
    };
    if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
        png.compare(12, 4, "IHDR") != 0) {
        return {0, 0};
    }
    return {be32(16), be32(20)};
}

TEST(StatusPageInChromium, RendersFourWeeksOfRunsUnderItsStrictPolicy) {
    if (::access(chromium, X_OK) != 0) {
        GTEST_SKIP() << chromium << " is not installed (Debian package chromium)";
    }
    TempDir dir;
    fs::path catalog_path = dir / "catalog.sqlite";
    FilledHistory filled;
    {
        catalog::Catalog catalog = catalog::Catalog::open({catalog_path, {}});
        filled = fill_history(catalog, 27); // the newest run (i = 26) failed
    }
    ASSERT_EQ(filled.last_status, report::RunStatus::failed);
    make_staging_root(dir / "staging",
                      {filled.published_days.end() - 2, filled.published_days.end()});
    fs::path config = write_file(dir / "offstage.toml", "[shell]\nreceipts_file = \"\"\n");
    CommandResult written =
        run_command({built_program("offstage"), "--config", config, "status", "--catalog",
                     catalog_path, "--staging-root", dir / "staging", "--html", dir / "www"});
    ASSERT_EQ(written.exit_status, 0) << written.err;

    fs::path artifacts = fs::path(OFFSTAGE_BINARY_DIR) / "tests" / "status" / "artifacts";
    fs::create_directories(artifacts);
    fs::copy_file(dir / "www" / "index.html", artifacts / "status-page.html",
                  fs::copy_options::overwrite_existing);
    fs::path screenshot = artifacts / "status-page.png";
    fs::remove(screenshot);

    nlohmann::json report = open_in_chromium(dir / "www" / "index.html", screenshot);
    SCOPED_TRACE(report.dump(2));
    EXPECT_EQ(report["requests"], nlohmann::json::array({report["url"]}))
        << "a request left the page";
    EXPECT_EQ(report["console"], nlohmann::json::array()) << "console messages";
    const nlohmann::json& dom = report["dom"];
    EXPECT_EQ(dom["newest_status"], "failed");
    EXPECT_NE(dom["newest_text"].get<std::string>().find(utc_day(filled.last_finished)),
              std::string::npos);
    EXPECT_EQ(dom["title"], "offstage on host.example");
    EXPECT_EQ(dom["scripts"], 0);
    EXPECT_GE(dom["run_rows"].get<int>(), 2);
    for (const char* plot : {"outcomes", "sizes", "durations", "annoying"}) {
        ASSERT_TRUE(dom["plots"][plot].is_object()) << plot << " missing";
        EXPECT_GT(dom["plots"][plot]["width"].get<double>(), 300) << plot;
        EXPECT_GT(dom["plots"][plot]["height"].get<double>(), 20) << plot;
    }
    EXPECT_EQ(dom["plots"]["outcomes"]["marks"], 27);             // one mark per run
    EXPECT_GE(dom["plots"]["sizes"]["marks"].get<int>(), 3 * 24); // three sources, a dot per run
    // Sizes and durations: a chart per source, each on its own scale.
    EXPECT_EQ(dom["plots"]["sizes"]["charts"], 3);
    EXPECT_EQ(dom["plots"]["durations"]["charts"], 3);
    // The stylesheet applied: allowed by its hash under default-src 'none'.
    EXPECT_EQ(dom["failed_mark_fill"], "rgb(207, 34, 46)");
    EXPECT_EQ(dom["heading_font_size"], "24px");

    std::string png = read_file(screenshot);
    auto [width, height] = png_size(png);
    EXPECT_EQ(width, 1100u);
    EXPECT_GT(height, 900u) << "the full page, taller than the window";
    EXPECT_GT(png.size(), 20000u);

    // The control: one byte of the stylesheet changed, its hash no longer matches. Chromium
    // must refuse it and say so, and the page must lose its colours.
    std::string page = read_file(dir / "www" / "index.html");
    std::size_t at = page.find("body { font-family");
    ASSERT_NE(at, std::string::npos);
    page.replace(at, 4, "BODY");
    write_file(dir / "tampered.html", page);
    nlohmann::json tampered = open_in_chromium(dir / "tampered.html", dir / "tampered.png");
    std::string console = tampered["console"].dump();
    EXPECT_NE(console.find("Content Security Policy"), std::string::npos) << console;
    EXPECT_NE(tampered["dom"]["failed_mark_fill"], "rgb(207, 34, 46)");
}

} // namespace
} // namespace offstage::test
