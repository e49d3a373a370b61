#include "mail_fixtures.hpp"

#include "tests/support/run_command.hpp"

#include <gtest/gtest.h>

namespace offstage::mail::test {

report::RunResult sample_run() {
    using namespace std::chrono_literals;
    report::RunResult run;
    run.day = "2026-11-28";
    run.host = "web1.example.org";
    run.offstage_version = "0.9.0";
    run.started_at = std::chrono::system_clock::time_point(1795834801s); // 2026-11-28 03:00:01
    run.finished_at = run.started_at + 251s;
    run.status = report::RunStatus::degraded;

    report::SourceResult files;
    files.name = "files";
    files.kind = "files";
    files.artifacts.push_back({"files.tar.zst.age", 1572864, {}, std::nullopt, false});
    files.duration = 182.4s;
    report::SourceResult system;
    system.name = "system";
    system.kind = "system";
    system.artifacts.push_back({"system.tar.zst.age", 2411724, {}, std::nullopt, true});
    system.duration = 1.2s;
    report::SourceResult spool;
    spool.name = "spool-mail";
    spool.kind = "spool";
    spool.fail(report::ReasonCode::lock_timeout,
               "waited 300 s for the lock /var/spool/mail/.lock; it was never released");
    spool.duration = 300s;
    run.sources = {files, system, spool};

    run.annoying_files = {{"/etc/cron.d/\xff-legacy"},
                          {"/srv/app/config.local"},
                          {"/tmp/x\r\nBcc: attacker@example.org"},
                          {"/usr/local/bin/tool"}};
    run.new_annoying_files = {"/etc/cron.d/\xff-legacy", "/tmp/x\r\nBcc: attacker@example.org"};
    run.gone_annoying_files = {"/opt/old/thing"};
    run.notes = {"run lock taken over from pid 812 (of an earlier boot)"};
    return run;
}

MessageIdentity fixed_identity() {
    using namespace std::chrono_literals;
    return {std::chrono::system_clock::time_point(1795835412s), // 2026-11-28 03:10:12 UTC
            "0123456789abcdef0123456789abcdef"};
}

SplitMessage split_message(const std::string& message) {
    SplitMessage split;
    std::size_t start = 0;
    while (true) {
        std::size_t end = message.find('\n', start);
        if (end == std::string::npos || end == start) {
            split.body = end == std::string::npos ? "" : message.substr(end + 1);
            break;
        }
        split.header_lines.push_back(message.substr(start, end - start));
        start = end + 1;
    }
    return split;
}

int check_with_python(const std::vector<std::string>& arguments, std::string* output) {
    std::vector<std::string> argv = {"/usr/bin/python3", std::string(OFFSTAGE_SOURCE_DIR) +
                                                             "/tests/mail/check_mail.py"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    offstage::test::CommandOptions options;
    options.timeout = std::chrono::seconds(60);
    offstage::test::CommandResult result = offstage::test::run_command(argv, options);
    if (output != nullptr) {
        *output = result.out + result.err;
    }
    if (result.exit_status != 0) {
        ADD_FAILURE() << "check_mail.py exit " << result.exit_status << ":\n"
                      << result.out << result.err;
    }
    return result.exit_status;
}

} // namespace offstage::mail::test
