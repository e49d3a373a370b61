#include "stager/report/report_json.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace offstage::report;
using offstage::test::run_command;

namespace {

using namespace std::chrono_literals;

// The details name host paths and file names, as real problems do; none may reach the JSON.
const std::vector<std::string> secret_details = {
    "/home/alice/secret-plans.odt vanished while read",
    "/etc/ssl/private/host.key: Permission denied",
    "spamd lock /var/spool/spamd/.lock held past 300 s",
    "dpkg-query exited 2: dpkg-query: error: parsing file '/var/lib/dpkg/status' near line 7",
};

RunResult sample_run() {
    RunResult run;
    run.day = "2026-11-22";
    run.host = "files-01.example.org";
    run.offstage_version = "0.1.0";
    run.started_at = std::chrono::sys_days(std::chrono::year(2026) / 11 / 22) + 3h + 1s + 250ms;
    run.finished_at = run.started_at + 1234567ms;
    run.status = RunStatus::degraded;

    SourceResult files;
    files.name = "files";
    files.kind = "files";
    files.artifacts.push_back({"files.tar.zst.age", 1200000000, {}, std::nullopt, false});
    files.degrade(ReasonCode::input_changed, secret_details[0]);
    files.degrade(ReasonCode::input_unreadable, secret_details[1]);
    files.degrade(ReasonCode::input_changed, "/home/bob/also-changed");
    files.duration = 1100.5s;
    files.counts["entries"] = 55978;

    SourceResult spool;
    spool.name = "spool-%53pam";
    spool.kind = "spool";
    spool.fail(ReasonCode::lock_timeout, secret_details[2]);
    spool.duration = 300.0004s;

    SourceResult system;
    system.name = "system";
    system.kind = "system";
    system.artifacts.push_back({"system.tar.zst.age", 5000, {}, std::nullopt, true});
    system.duration = 2.25s;

    SourceResult db;
    db.name = "db/mariadb/sales";
    db.kind = "mariadb";
    db.artifacts.push_back({"db/mariadb/sales.sql.zst.age", 77, {}, std::nullopt, false});
    db.degrade(ReasonCode::child_failed, secret_details[3]);

    run.sources = {files, spool, system, db};
    run.annoying_files = {{"/etc/secret name"}, {"/root/.netrc"}, {"/srv/x"}};
    run.new_annoying_files = {"/root/.netrc"};
    run.gone_annoying_files = {"/srv/gone"};
    run.notes = {"run lock taken over from pid 812 of this boot, which is gone"};
    run.failure = "/nowhere";
    return run;
}

std::string python_check(const std::string& script, const std::string& json) {
    offstage::test::CommandOptions options;
    options.stdin_data = json;
    auto result = run_command({"python3", "-c", script}, options);
    return std::to_string(result.exit_status) + result.out + result.err;
}

} // namespace

TEST(ReportJson, NamesNoHostPathNoFileNameAndNoFreeText) {
    RunResult run = sample_run();
    std::string json = render_report_json(run);
    for (const std::string& detail : secret_details) {
        EXPECT_EQ(json.find(detail), std::string::npos) << detail;
    }
    for (const char* fragment : {"/home", "/etc", "/var", "/root", "/srv", "secret", "alice",
                                 "netrc", "files-01", "example.org", "pid 812", "nowhere"}) {
        EXPECT_EQ(json.find(fragment), std::string::npos) << fragment << " in\n" << json;
    }
    // No '/' at all except in the format and inside the artifact names of the grammar.
    std::string without_names = json;
    for (const char* name :
         {"db/mariadb/sales.sql.zst.age", "db/mariadb/sales", "offstage-report/1"}) {
        for (std::size_t at; (at = without_names.find(name)) != std::string::npos;) {
            without_names.erase(at, std::strlen(name));
        }
    }
    EXPECT_EQ(without_names.find('/'), std::string::npos) << without_names;
}

TEST(ReportJson, HasTheDocumentedFieldsWithTheirTypesInOrder) {
    std::string json = render_report_json(sample_run());
    auto parsed = nlohmann::ordered_json::parse(json);
    std::vector<std::string> keys;
    for (const auto& [key, value] : parsed.items()) {
        keys.push_back(key);
    }
    EXPECT_EQ(keys,
              (std::vector<std::string>{"format", "offstage_version", "day", "status", "started_at",
                                        "finished_at", "duration_seconds", "sources", "totals"}));
    EXPECT_EQ(parsed["format"], "offstage-report/1");
    EXPECT_EQ(parsed["offstage_version"], "0.1.0");
    EXPECT_EQ(parsed["day"], "2026-11-22");
    EXPECT_EQ(parsed["status"], "degraded");
    EXPECT_EQ(parsed["started_at"], "2026-11-22T03:00:01Z");
    EXPECT_EQ(parsed["finished_at"], "2026-11-22T03:20:35Z");
    EXPECT_TRUE(parsed["duration_seconds"].is_number_float());
    EXPECT_DOUBLE_EQ(parsed["duration_seconds"].get<double>(), 1234.567);
    ASSERT_EQ(parsed["sources"].size(), 4u);
    const auto& files = parsed["sources"][0];
    keys.clear();
    for (const auto& [key, value] : files.items()) {
        keys.push_back(key);
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"name", "kind", "outcome", "reasons", "artifacts",
                                              "duration_seconds", "problems"}));
    EXPECT_EQ(files["name"], "files");
    EXPECT_EQ(files["kind"], "files");
    EXPECT_EQ(files["outcome"], "degraded");
    EXPECT_EQ(files["reasons"], nlohmann::ordered_json({"input_changed", "input_unreadable"}));
    EXPECT_EQ(files["problems"], 3);
    EXPECT_TRUE(files["problems"].is_number_unsigned());
    EXPECT_DOUBLE_EQ(files["duration_seconds"].get<double>(), 1100.5);
    ASSERT_EQ(files["artifacts"].size(), 1u);
    EXPECT_EQ(files["artifacts"][0]["name"], "files.tar.zst.age");
    EXPECT_EQ(files["artifacts"][0]["bytes"], 1200000000u);
    EXPECT_EQ(files["artifacts"][0]["reused"], false);
    const auto& spool = parsed["sources"][1];
    EXPECT_EQ(spool["outcome"], "failed");
    EXPECT_EQ(spool["reasons"], nlohmann::ordered_json({"lock_timeout"}));
    EXPECT_TRUE(spool["artifacts"].is_array());
    EXPECT_TRUE(spool["artifacts"].empty());
    EXPECT_DOUBLE_EQ(spool["duration_seconds"].get<double>(), 300.0);
    EXPECT_EQ(parsed["sources"][2]["outcome"], "ok");
    EXPECT_TRUE(parsed["sources"][2]["reasons"].empty());
    EXPECT_EQ(parsed["sources"][2]["artifacts"][0]["reused"], true);
    EXPECT_EQ(parsed["sources"][3]["name"], "db/mariadb/sales");
    const auto& totals = parsed["totals"];
    EXPECT_EQ(totals, nlohmann::ordered_json({{"artifacts", 3},
                                              {"bytes", 1200005077},
                                              {"reused_artifacts", 1},
                                              {"annoying_files", 3},
                                              {"new_annoying_files", 1}}));
    EXPECT_EQ(json.back(), '\n');
}

TEST(ReportJson, RoundTripsThroughTheParser) {
    Report report = report_of(sample_run());
    std::string json = render_report_json(report);
    Report back = parse_report_json(json);
    EXPECT_EQ(back, report);
    EXPECT_EQ(render_report_json(back), json);

    RunResult complete;
    complete.day = "2028-02-29";
    complete.offstage_version = "1.2.3~rc1+deb12u1";
    complete.status = RunStatus::complete;
    complete.started_at = std::chrono::sys_days(std::chrono::year(2028) / 2 / 29) + 23h + 59min;
    complete.finished_at = complete.started_at + 2min;
    Report minimal = report_of(complete);
    EXPECT_EQ(parse_report_json(render_report_json(minimal)), minimal);
}

TEST(ReportJson, PythonsJsonModuleReadsItWithTheDocumentedTypes) {
    std::string json = render_report_json(sample_run());
    // An outside reader: Python's json module, checking the schema's types itself.
    const std::string script = R"(
import json, sys, re
d = json.loads(sys.stdin.buffer.read().decode("utf-8"))
assert d["format"] == "offstage-report/1"
for k in ("offstage_version", "day", "status", "started_at", "finished_at"):
    assert isinstance(d[k], str), k
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["started_at"])
assert isinstance(d["duration_seconds"], (int, float))
for s in d["sources"]:
    assert set(s) == {"name", "kind", "outcome", "reasons", "artifacts", "duration_seconds",
                      "problems"}, s
    assert s["outcome"] in ("ok", "degraded", "failed")
    assert all(isinstance(r, str) for r in s["reasons"])
    assert isinstance(s["problems"], int) and not isinstance(s["problems"], bool)
    for a in s["artifacts"]:
        assert set(a) == {"name", "bytes", "reused"}
        assert isinstance(a["bytes"], int) and isinstance(a["reused"], bool)
t = d["totals"]
assert set(t) == {"artifacts", "bytes", "reused_artifacts", "annoying_files",
                  "new_annoying_files"}
assert all(isinstance(v, int) for v in t.values())
print("valid")
)";
    EXPECT_EQ(python_check(script, json), "0valid\n");
    // The checker can fail: a truncated document is not JSON to Python either.
    EXPECT_NE(python_check(script, json.substr(0, json.size() / 2)).rfind("0", 0), 0u);
}

TEST(ReportJson, TheParserRefusesOtherFormatsAndMalformedReports) {
    std::string good = render_report_json(sample_run());
    auto refusal = [](const std::string& text) {
        try {
            parse_report_json(text);
        } catch (const ReportJsonError& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    auto edited = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        std::size_t at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return text.replace(at, from.size(), to);
    };
    EXPECT_EQ(refusal(good), "accepted");
    EXPECT_EQ(
        refusal(edited("offstage-report/1", "offstage-report/2")).rfind("report.json: format:", 0),
        0u);
    EXPECT_EQ(
        refusal(edited("\"format\": \"offstage-report/1\",", "")).rfind("report.json: format:", 0),
        0u);
    EXPECT_EQ(refusal("[]"), "report.json: top level: not an object");
    EXPECT_EQ(refusal("{\"format\": \"offstage-report/1\" \x1b[2J"),
              "report.json: not JSON: syntax error at byte 32");
    EXPECT_EQ(refusal(edited("\"degraded\",\n  \"started_at\"", "\"failed\",\n  \"started_at\"")),
              "report.json: status: not \"complete\" or \"degraded\"");
    EXPECT_EQ(refusal(edited("\"problems\": 3", "\"problems\": -3")),
              "report.json: sources[0].problems: not a non-negative integer");
    EXPECT_EQ(refusal(edited("\"problems\": 3", "\"problems\": \"3\"")),
              "report.json: sources[0].problems: not a non-negative integer");
    EXPECT_EQ(refusal(edited("\"lock_timeout\"", "\"/var/spool/spamd\"")),
              "report.json: sources[1].reasons[0]: not a documented reason code");
    EXPECT_EQ(refusal(edited("\"name\": \"files.tar.zst.age\"", "\"name\": \"../etc/passwd\"")),
              "report.json: sources[0].artifacts[0].name: not an artifact name of the grammar");
    EXPECT_EQ(refusal(edited("\"started_at\": \"2026-11-22T03:00:01Z\"",
                             "\"started_at\": \"2026-11-22 03:00:01\"")),
              "report.json: started_at: not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    EXPECT_EQ(refusal(edited("\"bytes\": 1200005077", "\"bytes\": 1200005078")),
              "report.json: totals: do not add up to the sources' artifacts");
    EXPECT_EQ(refusal(edited("\"reused\": false", "\"reused\": 0")),
              "report.json: sources[0].artifacts[0].reused: not a boolean");
    EXPECT_EQ(refusal(edited("\"day\": \"2026-11-22\"", "\"day\": \"2026-02-30\"")),
              "report.json: day: not a day (YYYY-MM-DD)");
    // A later writer's extra field is not a reason to refuse.
    EXPECT_EQ(refusal(edited("\"totals\": {", "\"later\": [1, 2],\n  \"totals\": {")), "accepted");
}

TEST(ReportJson, TheWriterRefusesWhatTheSchemaCannotHold) {
    auto refusal = [](const RunResult& run) {
        try {
            render_report_json(run);
        } catch (const ReportJsonError& error) {
            return std::string(error.what());
        }
        return std::string("rendered");
    };
    RunResult run = sample_run();
    EXPECT_EQ(refusal(run), "rendered");
    RunResult failed = run;
    failed.status = RunStatus::failed;
    EXPECT_EQ(refusal(failed),
              "report.json: status: a failed run publishes nothing and has no report");
    RunResult path_name = run;
    path_name.sources[1].name = "spool-/var/spool/spamd";
    EXPECT_EQ(refusal(path_name),
              "report.json: sources[1].name: not an artifact stem of the grammar");
    RunResult path_artifact = run;
    path_artifact.sources[0].artifacts[0].name = "/srv/offstage/files.tar.zst.age";
    EXPECT_EQ(refusal(path_artifact),
              "report.json: sources[0].artifacts[0].name: not an artifact name of the grammar");
    RunResult odd_kind = run;
    odd_kind.sources[0].kind = "home of alice";
    EXPECT_EQ(refusal(odd_kind).rfind("report.json: sources[0].kind:", 0), 0u);
    RunResult odd_version = run;
    odd_version.offstage_version = "0.1 built in /home/alice";
    EXPECT_EQ(refusal(odd_version).rfind("report.json: offstage_version:", 0), 0u);
    RunResult wrong_status = run;
    wrong_status.status = RunStatus::complete;
    EXPECT_EQ(refusal(wrong_status), "report.json: status: does not match the sources' outcomes");
}

TEST(ReportJson, TheExampleOfTheDocumentIsAValidReport) {
    std::string doc =
        offstage::test::read_file(std::string(OFFSTAGE_SOURCE_DIR) + "/docs/staging-tree.md");
    std::size_t section = doc.find("## report.json");
    ASSERT_NE(section, std::string::npos);
    std::size_t begin = doc.find("```json\n", section);
    ASSERT_NE(begin, std::string::npos);
    begin += 8;
    std::size_t end = doc.find("```", begin);
    Report example = parse_report_json(doc.substr(begin, end - begin));
    EXPECT_EQ(example.status, RunStatus::degraded);
    EXPECT_EQ(example.sources.size(), 2u);
    EXPECT_EQ(example.totals.bytes, 1200005000u);
}
