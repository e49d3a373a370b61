// The PostgreSQL source and drill against real servers (stager/drill/postgresql_server: initdb
// and postgres in temp dirs, unix sockets only): `offstage run` stages the globals and one
// checked -Fc dump per database, each fingerprinted in its own snapshot; the drill restores them
// into fresh servers and finds every table equal; the test compares independently with its own
// queries; a dump under concurrent writes matches its fingerprint exactly; and every failure
// (server stopped mid-dump, rejected authentication, a pg_dump that exits 0 but truncates, one
// that hangs mid-dump (killed at dump_timeout), a tampered artifact) is reported and never replaces
// the last good artifact.
#include "stager/drill/postgresql_drill.hpp"
#include "stager/drill/postgresql_server.hpp"
#include "stager/sources/databases/postgresql_source.hpp"
#include "stager/staging/artifact_writer.hpp"
#include "stager/staging/staging_tree.hpp"
#include "tests/databases/dump_run.hpp"
#include "tests/support/background_command.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace offstage;
using offstage::test::DrillDay;
using offstage::test::DumpRun;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

constexpr const char* seed_sql = R"SQL(
CREATE ROLE app LOGIN;
CREATE ROLE reader NOLOGIN;
GRANT reader TO app;
CREATE DATABASE shop OWNER app;
CREATE DATABASE wiki;
\c shop
CREATE SCHEMA sales AUTHORIZATION app;
CREATE TABLE public.texts (id serial PRIMARY KEY, body text);
INSERT INTO public.texts (body) VALUES ('pâté'), ('日本語のテキスト'), ('Ελληνικά'), ('русский'),
  ('עברית'), ('العربية'), ('हिन्दी'), ('🙂 emoji'), (E'tab\there\nnewline'), ('');
CREATE TABLE public.blobs (id int PRIMARY KEY, data bytea);
INSERT INTO public.blobs SELECT 1, decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b), 'hex')
  FROM generate_series(0, 255) b;
INSERT INTO public.blobs SELECT 2, decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b DESC),
  'hex') FROM generate_series(0, 255) b;
CREATE TABLE sales.orders (id bigserial PRIMARY KEY, item text, amount numeric(12,2),
  at timestamptz DEFAULT '2026-01-01 00:00:00+00');
CREATE TABLE sales.audit (order_id bigint, note text);
CREATE FUNCTION sales.log_order() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO sales.audit VALUES (NEW.id, 'new ' || NEW.item); RETURN NEW; END $$;
CREATE TRIGGER orders_audit AFTER INSERT ON sales.orders FOR EACH ROW
  EXECUTE FUNCTION sales.log_order();
CREATE PROCEDURE sales.add_order(p_item text, p_amount numeric) LANGUAGE sql AS
  $$ INSERT INTO sales.orders (item, amount) VALUES (p_item, p_amount) $$;
CALL sales.add_order('tea', 3.50);
CALL sales.add_order('çay', 4.25);
CREATE VIEW sales.totals AS SELECT item, sum(amount) AS total FROM sales.orders GROUP BY item;
ALTER TABLE sales.orders OWNER TO app;
GRANT USAGE ON SCHEMA sales TO reader;
GRANT SELECT ON sales.totals TO reader;
GRANT EXECUTE ON PROCEDURE sales.add_order(text, numeric) TO app;
CREATE TABLE public.big (id int, payload text);
INSERT INTO public.big SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 20000) i;
\c wiki
CREATE TABLE pages (id serial PRIMARY KEY, title text);
INSERT INTO pages (title) VALUES ('Main Page'), ('Ünïcode');
)SQL";

// The test's own view of a database: what it compares between the original and a restore.
constexpr const char* independent_sql = R"SQL(
SELECT string_agg(id || ':' || body, '|' ORDER BY id) FROM public.texts;
SELECT string_agg(encode(data, 'hex'), '|' ORDER BY id) FROM public.blobs;
SELECT string_agg(id || ':' || item || ':' || amount, '|' ORDER BY id) FROM sales.orders;
SELECT count(*), md5(string_agg(payload, '' ORDER BY id)) FROM public.big;
SELECT string_agg(item || '=' || total, '|' ORDER BY item) FROM sales.totals;
SELECT string_agg(proname || '/' || prokind::text, ',' ORDER BY proname) FROM pg_proc
  WHERE pronamespace = 'sales'::regnamespace;
SELECT string_agg(tgname, ',') FROM pg_trigger WHERE NOT tgisinternal;
SELECT has_table_privilege('reader', 'sales.totals', 'SELECT'),
  has_table_privilege('reader', 'sales.orders', 'SELECT'),
  pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'sales.orders'::regclass;
)SQL";

// The seeded server every test dumps (started once for the binary).
drill::PostgresqlServer& original() {
    static std::unique_ptr<drill::PostgresqlServer> server = [] {
        auto started = std::make_unique<drill::PostgresqlServer>();
        started->psql("postgres", seed_sql);
        return started;
    }();
    return *server;
}

std::string source_section(const drill::PostgresqlServer& server, const std::string& extra = "") {
    return "[postgresql]\nsocket_dir = \"" + server.client().socket_dir.string() +
           "\"\ntimeout = 10\n" + extra;
}

bool can_run_servers() {
    return ::geteuid() == 0;
}

std::string restored_query(const std::string& globals, const std::string& dump_file,
                           const std::string& database) {
    drill::PostgresqlServer fresh;
    const auto& client = fresh.client();
    fs::path copy = fresh.directory() / "dump";
    fs::copy_file(dump_file, copy);
    EXPECT_EQ(::chown(copy.c_str(), client.os_user->uid, client.os_user->gid), 0);
    // The globals first (the roles the database's owners and grants name).
    platform::ChildProcess::Options options = client.options();
    options.input = globals;
    platform::ChildProcess::output(
        {client.psql.string(), "-X", "-q", "-d", client.conninfo("postgres")}, options);
    options.input.reset();
    platform::ChildProcess::output({client.pg_restore.string(), "--create", "--exit-on-error", "-d",
                                    client.conninfo("postgres"), copy.string()},
                                   options);
    return fresh.psql(database, independent_sql);
}

class PostgresqlSourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!can_run_servers()) {
            GTEST_SKIP() << "needs root: the servers run as the postgres user";
        }
        original();
    }
};

// A day in the making, for tests that drive the source directly.
struct Stage {
    TempDir dir{"offstage-pgstage"};
    age::X25519Identity identity = age::X25519Identity::generate();
    std::unique_ptr<staging::StagingTree> tree;
    std::unique_ptr<staging::WorkDir> work;
    Stage() {
        fs::create_directories(dir / "srv/offstage");
        tree = std::make_unique<staging::StagingTree>(dir / "srv/offstage", dir / "work");
        work = std::make_unique<staging::WorkDir>(tree->begin("2026-11-22"));
    }
    staging::ArtifactWriter writer() const {
        staging::ArtifactSettings settings;
        settings.keys.recipients = {identity.recipient()};
        settings.compression.threads = 1;
        return staging::ArtifactWriter(*work, settings, staging::DigestKey{});
    }
};

sources::PostgresqlSettings settings_for(const drill::PostgresqlServer& server) {
    sources::PostgresqlSettings settings;
    settings.socket_dir = server.client().socket_dir;
    settings.timeout = std::chrono::seconds(10);
    return settings;
}

std::string problems_of(const report::SourceResult& result) {
    std::string text;
    for (const auto& problem : result.problems) {
        text += std::string(report::to_string(problem.code)) + ": " + problem.detail + "\n";
    }
    return text;
}

} // namespace

TEST_F(PostgresqlSourceTest, RunStagesEveryDatabaseAndTheDrillRestoresThemEqual) {
    DumpRun run;
    run.write_config(source_section(original()));
    auto result = run.run("2026-11-22");
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err << read_file(run.dir / "run.log");
    fs::path day = run.day("2026-11-22");
    for (const char* name :
         {"db/postgresql/globals.sql.zst.age", "db/postgresql/globals.roles.zst.age",
          "db/postgresql/shop.pgdump.zst.age", "db/postgresql/shop.fingerprint.zst.age",
          "db/postgresql/wiki.pgdump.zst.age", "db/postgresql/postgres.pgdump.zst.age"}) {
        EXPECT_TRUE(fs::is_regular_file(day / name)) << name;
    }
    EXPECT_FALSE(fs::exists(day / "db/postgresql/template1.pgdump.zst.age"));
    std::string globals = run.decrypt(day / "db/postgresql/globals.sql.zst.age");
    EXPECT_NE(globals.find("CREATE ROLE app;"), std::string::npos) << globals;
    std::string fingerprint = run.decrypt(day / "db/postgresql/shop.fingerprint.zst.age");
    EXPECT_NE(fingerprint.find("table \"public.big\" rows 20000 sum "), std::string::npos)
        << fingerprint;
    EXPECT_NE(fingerprint.find("trigger \"sales.orders orders_audit\""), std::string::npos);
    EXPECT_NE(fingerprint.find("routine \"sales.add_order(text,numeric)\""), std::string::npos)
        << fingerprint;
    EXPECT_NE(fingerprint.find("view \"sales.totals\""), std::string::npos);
    std::string report = read_file(day / "report.json");
    EXPECT_NE(report.find("\"status\": \"complete\""), std::string::npos) << report;

    // The drill: every database (and the globals) restored into a fresh server, equal.
    DrillDay drill_day(day, run.identity);
    drill::PostgresqlDrill drill;
    std::vector<drill::DrillVerdict> verdicts = drill.run(drill_day.context());
    ASSERT_EQ(verdicts.size(), 4u); // globals, postgres, shop, wiki
    for (const auto& verdict : verdicts) {
        EXPECT_TRUE(verdict.ok) << verdict.subject << ": " << verdict.detail;
    }
    EXPECT_EQ(verdicts[0].subject, "postgresql/globals");
    EXPECT_EQ(verdicts[2].subject, "postgresql/shop");
    EXPECT_EQ(verdicts[2].detail, "5 tables equal");

    // Independently: the test's own queries on the original and on its own restore.
    fs::path dump = run.dir / "shop.pgdump";
    write_file(dump, run.decrypt(day / "db/postgresql/shop.pgdump.zst.age"));
    std::string restored = restored_query(globals, dump.string(), "shop");
    EXPECT_EQ(restored, original().psql("shop", independent_sql));
    EXPECT_NE(restored.find("日本語のテキスト"), std::string::npos) << restored;
    EXPECT_NE(restored.find("000102030405"), std::string::npos);
    EXPECT_NE(restored.find("t|f|app"), std::string::npos) << restored;

    // The next day, nothing changed: every artifact is linked, not written again.
    auto second = run.run("2026-11-23");
    ASSERT_EQ(second.exit_status, 0) << second.out << second.err;
    for (const char* name :
         {"db/postgresql/shop.pgdump.zst.age", "db/postgresql/shop.fingerprint.zst.age",
          "db/postgresql/globals.sql.zst.age", "db/postgresql/wiki.pgdump.zst.age"}) {
        EXPECT_EQ(run.inode(day / name), run.inode(run.day("2026-11-23") / name)) << name;
    }
    // A change in one database dumps that one again, and only that one.
    original().psql("wiki", "INSERT INTO pages (title) VALUES ('New');");
    auto third = run.run("2026-11-24");
    ASSERT_EQ(third.exit_status, 0) << third.out << third.err;
    EXPECT_NE(run.inode(day / "db/postgresql/wiki.pgdump.zst.age"),
              run.inode(run.day("2026-11-24") / "db/postgresql/wiki.pgdump.zst.age"));
    EXPECT_EQ(run.inode(day / "db/postgresql/shop.pgdump.zst.age"),
              run.inode(run.day("2026-11-24") / "db/postgresql/shop.pgdump.zst.age"));
    original().psql("wiki", "DELETE FROM pages WHERE title = 'New';");
}

TEST_F(PostgresqlSourceTest, ADumpUnderConcurrentWritesMatchesItsFingerprintExactly) {
    // A writer commits an order (and, by the trigger, an audit row) every few milliseconds.
    std::string writer_sql =
        "DO $$ BEGIN FOR i IN 1..200000 LOOP CALL sales.add_order('load ' || i, i); COMMIT; "
        "PERFORM pg_sleep(0.002); END LOOP; END $$;";
    const auto& client = original().client();
    std::string before = original().psql("shop", "SELECT count(*) FROM sales.orders;");
    offstage::test::BackgroundCommand writer({"/usr/sbin/runuser", "-u", "postgres", "--",
                                              client.psql.string(), "-X", "-q", "-d",
                                              client.conninfo("shop"), "-c", writer_sql});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Stage stage;
    staging::ArtifactWriter writer_out = stage.writer();
    sources::PostgresqlSettings settings = settings_for(original());
    settings.databases = {"shop"};
    sources::PostgresqlSource source(settings);
    report::SourceResult result;
    source.produce(writer_out, result);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::kill(writer.pid(), SIGKILL);
    writer.wait(std::chrono::seconds(5));
    ASSERT_EQ(result.outcome, report::Outcome::ok) << problems_of(result);
    std::string after = original().psql("shop", "SELECT count(*) FROM sales.orders;");
    EXPECT_NE(before, after) << "the writer wrote nothing";

    DrillDay drill_day(stage.work->path(), stage.identity);
    std::vector<drill::DrillVerdict> verdicts = drill::PostgresqlDrill().run(drill_day.context());
    ASSERT_EQ(verdicts.size(), 2u);
    for (const auto& verdict : verdicts) {
        EXPECT_TRUE(verdict.ok) << verdict.subject << ": " << verdict.detail;
    }
    original().psql("shop", "DELETE FROM sales.audit WHERE note LIKE 'new load %';"
                            "DELETE FROM sales.orders WHERE item LIKE 'load %';");
}

TEST_F(PostgresqlSourceTest, ARejectedConnectionOrAServerThatIsDownFailsWithinTheTimeout) {
    drill::PostgresqlServerOptions rejecting;
    rejecting.hba = {"local all all reject"};
    drill::PostgresqlServer server(rejecting);
    TempDir empty{"offstage-nosocket"};
    ::chmod(empty.path().c_str(), 0755); // no server there, and the postgres user may look
    for (const fs::path& socket_dir : {server.client().socket_dir, empty.path()}) {
        Stage stage;
        staging::ArtifactWriter writer = stage.writer();
        sources::PostgresqlSettings settings = settings_for(server);
        settings.socket_dir = socket_dir;
        report::SourceResult result;
        auto started = std::chrono::steady_clock::now();
        sources::PostgresqlSource(settings).produce(writer, result);
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
        EXPECT_EQ(result.outcome, report::Outcome::failed);
        ASSERT_EQ(result.problems.size(), 1u);
        EXPECT_EQ(result.problems[0].code, report::ReasonCode::child_failed);
        EXPECT_TRUE(result.artifacts.empty());
        if (socket_dir == server.client().socket_dir) {
            EXPECT_NE(result.problems[0].detail.find("pg_hba.conf rejects connection"),
                      std::string::npos)
                << result.problems[0].detail;
        } else {
            EXPECT_NE(result.problems[0].detail.find("No such file or directory"),
                      std::string::npos)
                << result.problems[0].detail;
        }
    }
}

// The setup of a failing-dump test: a pg_dump wrapper (`tail` after a real dump's first 3000
// bytes), which the postgres user runs from a directory it can enter, and a first day dumped
// whole, whose shop artifact the failure must leave as it is.
struct LastGoodDump {
    fs::path wrapper;
    fs::path path;
    std::string bytes;
    ino_t inode = 0;
};

void stage_last_good_dump(DumpRun& run, const std::string& wrapper_name, const std::string& tail,
                          LastGoodDump& good) {
    ::chmod(run.dir.path().c_str(), 0755);
    good.wrapper = write_file(run.dir / "bin" / wrapper_name,
                              "#!/bin/sh\n" + original().client().pg_dump.string() +
                                  " \"$@\" | /usr/bin/head -c 3000\n" + tail + "\n",
                              fs::perms(0755));
    run.write_config(source_section(original(), "databases = [\"shop\", \"wiki\"]\n"));
    ASSERT_EQ(run.run("2026-11-22").exit_status, 0);
    good.path = run.day("2026-11-22") / "db/postgresql/shop.pgdump.zst.age";
    good.bytes = read_file(good.path);
    good.inode = run.inode(good.path);
}

TEST_F(PostgresqlSourceTest, ATruncatedOrInterruptedDumpFailsAndNeverReplacesTheLastGoodOne) {
    DumpRun run;
    LastGoodDump good;
    ASSERT_NO_FATAL_FAILURE(stage_last_good_dump(run, "pg_dump-truncating", "exit 0", good));
    const fs::path& truncating = good.wrapper;

    // shop changes, so it is dumped again, by a pg_dump that exits 0 with a cut output.
    original().psql("shop", "INSERT INTO public.texts (body) VALUES ('changed');");
    run.write_config(source_section(original(), "databases = [\"shop\", \"wiki\"]\npg_dump = \"" +
                                                    truncating.string() + "\"\n"));
    auto cut = run.run("2026-11-23");
    original().psql("shop", "DELETE FROM public.texts WHERE body = 'changed';");
    EXPECT_EQ(cut.exit_status, 5) << cut.out << cut.err; // published, degraded
    fs::path day = run.day("2026-11-23");
    EXPECT_FALSE(fs::exists(day / "db/postgresql/shop.pgdump.zst.age"));
    EXPECT_FALSE(fs::exists(day / "db/postgresql/shop.fingerprint.zst.age"));
    EXPECT_TRUE(fs::exists(day / "db/postgresql/wiki.pgdump.zst.age")); // the others go on
    std::string log = read_file(run.dir / "run.log");
    EXPECT_NE(log.find("'shop': the dump does not read back whole"), std::string::npos) << log;
    EXPECT_NE(read_file(day / "report.json").find("child_output_incomplete"), std::string::npos);
    EXPECT_EQ(read_file(good.path), good.bytes);
    EXPECT_EQ(run.inode(good.path), good.inode);
}

// A pg_dump that stalls mid-dump (a real dump's first bytes, then nothing for two minutes) is
// killed at [postgresql] dump_timeout: that database fails with `timeout`, the run goes on and
// publishes (exit 5) long before the stall would end, and yesterday's artifact stays.
TEST_F(PostgresqlSourceTest, ADumpThatHangsMidDumpEndsAtTheDumpTimeout) {
    DumpRun run;
    LastGoodDump good;
    ASSERT_NO_FATAL_FAILURE(
        stage_last_good_dump(run, "pg_dump-hanging", "exec /usr/bin/sleep 119.75", good));
    const fs::path& hanging = good.wrapper;

    // shop changes, so it is dumped again; wiki is unchanged and reused.
    original().psql("shop", "INSERT INTO public.texts (body) VALUES ('changed');");
    run.write_config(source_section(original(), "databases = [\"shop\", \"wiki\"]\npg_dump = \"" +
                                                    hanging.string() + "\"\ndump_timeout = 3\n"));
    auto started = std::chrono::steady_clock::now();
    auto hung = run.run("2026-11-23");
    auto took = std::chrono::steady_clock::now() - started;
    original().psql("shop", "DELETE FROM public.texts WHERE body = 'changed';");
    EXPECT_EQ(hung.exit_status, 5) << hung.out << hung.err; // published, degraded
    EXPECT_LT(took, std::chrono::seconds(60));              // the stall lasts 120 s
    fs::path day = run.day("2026-11-23");
    EXPECT_FALSE(fs::exists(day / "db/postgresql/shop.pgdump.zst.age"));
    EXPECT_FALSE(fs::exists(day / "db/postgresql/shop.fingerprint.zst.age"));
    EXPECT_TRUE(fs::exists(day / "db/postgresql/wiki.pgdump.zst.age"));
    EXPECT_TRUE(fs::exists(day / "files.tar.zst.age")); // the rest of the run went on
    std::string log = read_file(run.dir / "run.log");
    EXPECT_NE(log.find("postgresql database 'shop': "), std::string::npos) << log;
    EXPECT_NE(log.find("timed out after 3 s, killed"), std::string::npos) << log;
    std::string report = read_file(day / "report.json");
    EXPECT_NE(report.find("\"timeout\""), std::string::npos) << report;
    EXPECT_EQ(read_file(good.path), good.bytes);
    EXPECT_EQ(run.inode(good.path), good.inode);
    // The stalled child was killed, not left behind.
    EXPECT_EQ(run_command({"pgrep", "-f", "sleep 119.75"}).exit_status, 1);
}

TEST_F(PostgresqlSourceTest, AServerStoppedMidDumpFailsThatDatabase) {
    drill::PostgresqlServer server;
    server.psql("postgres", "CREATE DATABASE big;");
    server.psql("big", "CREATE TABLE t (id int, payload text); INSERT INTO t SELECT i, "
                       "repeat(md5(i::text), 8) FROM generate_series(1, 100000) i;");
    TempDir bin{"offstage-pgbin"};
    ::chmod(bin.path().c_str(), 0755);
    // Once the dump has started to flow, the server stops at once (immediate: every backend
    // quits, as on a crash); the wrapper passes on pg_dump's exit status.
    fs::path stopping =
        write_file(bin / "pg_dump-stopping",
                   "#!/bin/bash\nset -o pipefail\n" + server.client().pg_dump.string() +
                       " \"$@\" | { /usr/bin/head -c 2000; " +
                       (server.client().pg_dump.parent_path() / "pg_ctl").string() + " -D " +
                       (server.directory() / "data").string() +
                       " -m immediate -w stop >/dev/null 2>&1; /usr/bin/cat; }\n",
                   fs::perms(0755));
    Stage stage;
    staging::ArtifactWriter writer = stage.writer();
    sources::PostgresqlSettings settings = settings_for(server);
    settings.databases = {"big"};
    settings.pg_dump = stopping;
    report::SourceResult result;
    sources::PostgresqlSource(settings).produce(writer, result);
    EXPECT_EQ(result.outcome, report::Outcome::failed);
    std::string problems = problems_of(result);
    EXPECT_NE(problems.find("child_failed: postgresql database 'big': "), std::string::npos)
        << problems;
    for (const auto& artifact : result.artifacts) {
        EXPECT_FALSE(artifact.name.starts_with("db/postgresql/big")) << artifact.name;
    }
    EXPECT_FALSE(fs::exists(stage.work->path() / "db/postgresql/big.pgdump.zst.age"));
}

TEST_F(PostgresqlSourceTest, TheDrillFailsATamperedDumpAndAFingerprintThatDoesNotMatch) {
    Stage stage;
    staging::ArtifactWriter writer = stage.writer();
    sources::PostgresqlSettings settings = settings_for(original());
    settings.databases = {"shop", "wiki"};
    report::SourceResult result;
    sources::PostgresqlSource(settings).produce(writer, result);
    ASSERT_EQ(result.outcome, report::Outcome::ok) << problems_of(result);
    fs::path work = stage.work->path();
    // shop: one byte of the encrypted dump flipped. wiki: a fingerprint that says one row more.
    {
        std::string bytes = read_file(work / "db/postgresql/shop.pgdump.zst.age");
        bytes[bytes.size() / 2] ^= 0x01;
        write_file(work / "db/postgresql/shop.pgdump.zst.age", bytes);
    }
    write_file(stage.dir / "identity.txt", stage.identity.to_string() + "\n", fs::perms(0600));
    auto decrypted = run_command({"sh", "-c", "age -d -i \"$1\" \"$2\" | zstd -dc", "sh",
                                  (stage.dir / "identity.txt").string(),
                                  (work / "db/postgresql/wiki.fingerprint.zst.age").string()});
    ASSERT_EQ(decrypted.exit_status, 0) << decrypted.err;
    std::string changed = decrypted.out;
    std::size_t rows = changed.find("table \"public.pages\" rows 2 ");
    ASSERT_NE(rows, std::string::npos) << changed;
    changed.replace(rows, 28, "table \"public.pages\" rows 3 ");
    auto encrypted = run_command({"sh", "-c", "zstd -q -c | age -r \"$1\" > \"$2\"", "sh",
                                  stage.identity.recipient().to_string(),
                                  (work / "db/postgresql/wiki.fingerprint.zst.age").string()},
                                 [&] {
                                     offstage::test::CommandOptions options;
                                     options.stdin_data = changed;
                                     return options;
                                 }());
    ASSERT_EQ(encrypted.exit_status, 0) << encrypted.err;

    DrillDay drill_day(work, stage.identity);
    std::vector<drill::DrillVerdict> verdicts = drill::PostgresqlDrill().run(drill_day.context());
    ASSERT_EQ(verdicts.size(), 3u);
    EXPECT_TRUE(verdicts[0].ok) << verdicts[0].detail; // the globals
    EXPECT_EQ(verdicts[1].subject, "postgresql/shop");
    EXPECT_FALSE(verdicts[1].ok);
    EXPECT_FALSE(verdicts[1].detail.empty());
    EXPECT_EQ(verdicts[2].subject, "postgresql/wiki");
    EXPECT_FALSE(verdicts[2].ok);
    EXPECT_NE(verdicts[2].detail.find("fingerprint: table \"public.pages\" rows 3"),
              std::string::npos)
        << verdicts[2].detail;
}

// A day staged by an earlier offstage: the dump as NAME.pgdump.age (no zstd layer) and a
// version-1 fingerprint (two sums per table). The drill reads the old name and fingerprints the
// restored copy in the day's version, so the day drills equal.
TEST_F(PostgresqlSourceTest, ADayOfTheEarlierFormatStillDrillsEqual) {
    Stage stage;
    staging::ArtifactWriter writer = stage.writer();
    sources::PostgresqlSettings settings = settings_for(original());
    settings.databases = {"wiki"};
    report::SourceResult result;
    sources::PostgresqlSource(settings).produce(writer, result);
    ASSERT_EQ(result.outcome, report::Outcome::ok) << problems_of(result);
    fs::path work = stage.work->path();
    fs::path identity = stage.dir / "identity.txt";
    write_file(identity, stage.identity.to_string() + "\n", fs::perms(0600));
    const std::string recipient = stage.identity.recipient().to_string();
    // The dump without its zstd layer, under the old name.
    auto moved = run_command(
        {"sh", "-c", "age -d -i \"$1\" \"$2\" | zstd -dc | age -r \"$3\" > \"$4\" && rm \"$2\"",
         "sh", identity.string(), (work / "db/postgresql/wiki.pgdump.zst.age").string(), recipient,
         (work / "db/postgresql/wiki.pgdump.age").string()});
    ASSERT_EQ(moved.exit_status, 0) << moved.err;
    // The fingerprint as version 1 wrote it, of the same (unchanged) database.
    const auto& client = original().client();
    std::string old_fingerprint = sources::postgresql_fingerprint_header(1) +
                                  sources::sorted_lines(client.query(
                                      "wiki", std::string(sources::postgresql_session_settings()) +
                                                  sources::postgresql_fingerprint_queries(1)));
    ASSERT_NE(old_fingerprint.find(" sum "), std::string::npos) << old_fingerprint;
    std::size_t table = old_fingerprint.find("\ntable ");
    ASSERT_NE(table, std::string::npos) << old_fingerprint;
    std::string table_line =
        old_fingerprint.substr(table + 1, old_fingerprint.find('\n', table + 1) - table - 1);
    // "table NAME rows N sum A B": two sums in version 1.
    EXPECT_EQ(std::count(table_line.begin(), table_line.end(), ' '), 6) << table_line;
    auto encrypted =
        run_command({"sh", "-c", "zstd -q -c | age -r \"$1\" > \"$2\"", "sh", recipient,
                     (work / "db/postgresql/wiki.fingerprint.zst.age").string()},
                    [&] {
                        offstage::test::CommandOptions options;
                        options.stdin_data = old_fingerprint;
                        return options;
                    }());
    ASSERT_EQ(encrypted.exit_status, 0) << encrypted.err;

    DrillDay drill_day(work, stage.identity);
    std::vector<drill::DrillVerdict> verdicts = drill::PostgresqlDrill().run(drill_day.context());
    ASSERT_EQ(verdicts.size(), 2u);
    EXPECT_TRUE(verdicts[0].ok) << verdicts[0].detail; // the globals
    EXPECT_EQ(verdicts[1].subject, "postgresql/wiki");
    EXPECT_TRUE(verdicts[1].ok) << verdicts[1].detail;
}
