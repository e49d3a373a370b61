// The textfile through the real collector (label metrics): Debian's prometheus-node-exporter,
// started here on 127.0.0.1 with only its textfile collector, pointed at the directory where
// `offstage status --metrics` wrote offstage.prom. /metrics is scraped and parsed with
// prometheus_client's parser, and the values checked against the catalog.
#include "stager/catalog/catalog.hpp"
#include "tests/status/status_test_catalog.hpp"
#include "tests/status/status_test_tools.hpp"
#include "tests/support/background_command.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* node_exporter = "/usr/bin/prometheus-node-exporter";

// A port the kernel says is free now (node_exporter binds it a moment later).
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

bool accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

TEST(MetricsThroughNodeExporter, TheTextfileCollectorServesOffstagesValues) {
    if (::access(node_exporter, X_OK) != 0) {
        GTEST_SKIP() << node_exporter << " is not installed (Debian package "
                     << "prometheus-node-exporter)";
    }
    if (std::string missing = python_module_missing("prometheus_client"); !missing.empty()) {
        GTEST_SKIP() << missing;
    }
    TempDir dir;
    fs::path catalog_path = dir / "catalog.sqlite";
    FilledHistory filled;
    {
        catalog::Catalog catalog = catalog::Catalog::open({catalog_path, {}});
        filled = fill_history(catalog, 14);
        // Two more runs, each with the spool failed: what the "failed twice in a row" alert
        // of docs/status-page.md looks for.
        report::RunResult run = catalog.recent_runs(1).front().run;
        for (int extra = 1; extra <= 2; ++extra) {
            run.day = utc_day(filled.last_finished + std::chrono::hours(24 * extra));
            run.started_at = filled.last_finished + std::chrono::hours(24 * extra);
            run.finished_at = run.started_at + std::chrono::minutes(12);
            for (report::SourceResult& source : run.sources) {
                if (source.name == "spool-mail") {
                    source.artifacts.clear();
                    source.problems.clear();
                    source.fail(report::ReasonCode::lock_timeout, "held");
                }
            }
            run.annoying_files = {{"/etc/cron.d/local-job"}, {"/srv/data/report.csv"}};
            run.status = run.status_from_sources();
            catalog.record(run);
        }
        filled.last_finished = run.finished_at;
        filled.published_days.push_back(run.day);
    }
    make_staging_root(dir / "staging", {filled.published_days.back()});
    fs::create_directories(dir / "textfiles");
    fs::path config = write_file(dir / "offstage.toml", "[shell]\nreceipts_file = \"\"\n");
    CommandResult written = run_command(
        {built_program("offstage"), "--config", config, "status", "--catalog", catalog_path,
         "--staging-root", dir / "staging", "--metrics", dir / "textfiles" / "offstage.prom"});
    ASSERT_EQ(written.exit_status, 0) << written.err;

    int port = free_port();
    int log_fd = ::open((dir / "node_exporter.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    BackgroundCommand exporter({node_exporter,
                                "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                "--collector.disable-defaults", "--collector.textfile",
                                "--collector.textfile.directory=" + (dir / "textfiles").string()},
                               -1, log_fd, log_fd);
    ::close(log_fd);
    for (int i = 0; i < 100 && !accepts(port); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(accepts(port)) << read_file(dir / "node_exporter.log");

    nlohmann::json m = parsed_metrics("http://127.0.0.1:" + std::to_string(port) + "/metrics");
    SCOPED_TRACE(read_file(dir / "textfiles" / "offstage.prom"));
    // The collector read the file without trouble.
    EXPECT_EQ(m["node_textfile_scrape_error{}"], 0.0);
    double last = static_cast<double>(StatusClock::to_time_t(filled.last_finished));
    EXPECT_EQ(m["offstage_last_run_timestamp_seconds{}"], last);
    EXPECT_EQ(m["offstage_last_success_timestamp_seconds{}"], last); // degraded still published
    EXPECT_LT(m["offstage_last_complete_timestamp_seconds{}"].get<double>(), last);
    EXPECT_EQ(m["offstage_last_run_status{status=degraded}"], 1.0);
    EXPECT_EQ(m["offstage_last_run_status{status=complete}"], 0.0);
    EXPECT_EQ(m["offstage_source_outcome{outcome=failed,source=spool-mail}"], 1.0);
    EXPECT_EQ(m["offstage_source_outcome{outcome=ok,source=files}"], 1.0);
    EXPECT_EQ(m["offstage_source_consecutive_failures{source=spool-mail}"], 2.0);
    EXPECT_EQ(m["offstage_source_consecutive_failures{source=files}"], 0.0);
    EXPECT_EQ(m["offstage_source_bytes{source=system}"], 12'000'000.0);
    EXPECT_GT(m["offstage_source_duration_seconds{source=files}"].get<double>(), 500.0);
    EXPECT_EQ(m["offstage_annoying_files{}"], 2.0);
    EXPECT_EQ(m["offstage_annoying_files_new{}"], 0.0);
    EXPECT_EQ(m["offstage_newest_tree_timestamp_seconds{}"], last);
    EXPECT_EQ(m["offstage_last_pull_timestamp_seconds{}"], 0.0); // the newest is not pulled
    EXPECT_GT(m["offstage_pull_waiting_since_timestamp_seconds{}"].get<double>(), 0.0);
    EXPECT_EQ(m["offstage_pull_deadline_seconds{}"], 93600.0);
    EXPECT_EQ(m["offstage_complete_trees{}"], 1.0);
    EXPECT_GT(m["offstage_catalog_size_bytes{}"].get<double>(), 10000.0);
    EXPECT_EQ(m["#type offstage_source_outcome"], "gauge");
}

} // namespace
} // namespace offstage::test
