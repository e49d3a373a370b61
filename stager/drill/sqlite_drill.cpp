#include "stager/drill/sqlite_drill.hpp"

#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "stager/drill/database_drill_support.hpp"
#include "stager/sources/databases/sqlite_source.hpp"

namespace offstage::drill {

namespace fs = std::filesystem;

std::vector<DrillVerdict> SqliteDrill::run(const DrillContext& context) {
    std::vector<DrillVerdict> verdicts;
    for (const std::string& stem : selected_stems(context, "sqlite", ".sqlite.zst.age")) {
        auto started = std::chrono::steady_clock::now();
        DrillVerdict verdict;
        verdict.subject = "sqlite/" + stem;
        const fs::path file = context.scratch / ("restore-" + stem + ".sqlite");
        try {
            verdict.plaintext_bytes =
                artifact_to_file(context, "db/sqlite/" + stem + ".sqlite.zst.age", file);
            std::string expected =
                artifact_text(context, "db/sqlite/" + stem + ".fingerprint.zst.age");
            catalog::SqliteConnection restored(file, std::chrono::milliseconds(0),
                                               {false, "sqlite " + stem});
            std::string integrity = sources::sqlite_integrity(restored);
            std::string difference =
                fingerprint_difference(expected, sources::sqlite_fingerprint(restored));
            verdict.ok = integrity == "ok" && difference.empty();
            verdict.detail = integrity != "ok"
                                 ? "PRAGMA integrity_check: " + platform::printable_name(integrity)
                             : difference.empty()
                                 ? std::to_string(fingerprint_tables(expected)) + " tables equal"
                                 : difference;
        } catch (const std::exception& error) {
            verdict.detail = error.what();
        }
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
            fs::remove(file.string() + suffix, ignored);
        }
        verdict.elapsed = std::chrono::steady_clock::now() - started;
        verdicts.push_back(std::move(verdict));
    }
    return verdicts;
}

} // namespace offstage::drill
