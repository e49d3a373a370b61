#include "stager/status/status_outputs.hpp"

#include "stager/status/output_file.hpp"
#include "stager/status/receipt_import.hpp"
#include "stager/status/status_metrics.hpp"
#include "stager/status/status_page.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::status {

void write_page(const std::filesystem::path& directory, const std::string& page,
                std::optional<gid_t> group) {
    if (::mkdir(directory.c_str(), 0750) == 0) {
        if (group && ::chown(directory.c_str(), static_cast<uid_t>(-1), *group) != 0) {
            throw std::runtime_error("status page directory " + directory.string() +
                                     ": chgrp: " + std::strerror(errno));
        }
    } else if (errno != EEXIST) {
        throw std::runtime_error("status page directory " + directory.string() + ": " +
                                 std::strerror(errno));
    }
    replace_file(directory / page_file_name, page, 0640, group);
}

void write_metrics(const std::filesystem::path& file, const std::string& metrics) {
    replace_file(file, metrics, 0644, std::nullopt);
}

RefreshResult refresh(catalog::Catalog* catalog, const std::filesystem::path& catalog_path,
                      const std::filesystem::path& staging_root, const StatusSettings& settings,
                      const StatusOutputs& outputs, std::chrono::system_clock::time_point now) {
    RefreshResult result;
    if (catalog != nullptr && !settings.receipts_file.empty()) {
        try {
            ReceiptImport imported = import_receipts(settings.receipts_file, *catalog);
            if (imported.malformed > 0) {
                result.notes.push_back(
                    std::to_string(imported.malformed) + " line(s) of the receipts file " +
                    settings.receipts_file.string() + " were not receipts and were dropped");
            }
        } catch (const std::exception& error) {
            result.notes.push_back(std::string("pull receipts not imported: ") + error.what());
        }
    }
    result.snapshot = take_snapshot(catalog, catalog_path, staging_root, settings, now);
    result.snapshot.notes = result.notes;

    if (!outputs.html_dir.empty()) {
        try {
            std::optional<gid_t> group;
            if (!settings.html_group.empty()) {
                group = group_named(settings.html_group);
            }
            write_page(outputs.html_dir, render_page(result.snapshot), group);
        } catch (const std::exception& error) {
            result.notes.push_back(std::string("status page not written: ") + error.what());
        }
    }
    if (!outputs.metrics_file.empty()) {
        struct stat info {};
        std::filesystem::path directory = outputs.metrics_file.parent_path();
        bool skip = outputs.skip_missing_metrics_dir && ::stat(directory.c_str(), &info) != 0 &&
                    errno == ENOENT;
        if (!skip) {
            try {
                write_metrics(outputs.metrics_file, render_metrics(result.snapshot));
            } catch (const std::exception& error) {
                result.notes.push_back(std::string("metrics not written: ") + error.what());
            }
        }
    }
    return result;
}

void refresh_after_run(const StatusSettings& settings, const catalog::CatalogSettings& catalog,
                       const std::filesystem::path& staging_root, report::RunResult& run,
                       std::ostream& log) {
    StatusOutputs outputs{settings.html_dir, settings.metrics_file,
                          settings.metrics_file == std::filesystem::path(default_metrics_file)};
    std::vector<std::string> notes;
    try {
        std::optional<catalog::Catalog> opened = catalog::Catalog::open_existing(catalog);
        RefreshResult result = refresh(opened ? &*opened : nullptr, catalog.path, staging_root,
                                       settings, outputs, std::chrono::system_clock::now());
        if (opened) {
            run.pulls = result.snapshot.pull_check;
        }
        notes = std::move(result.notes);
    } catch (const std::exception& error) {
        notes.push_back(std::string("status page and metrics not written: ") + error.what());
    }
    for (std::string& note : notes) {
        log << note << '\n';
        run.notes.push_back(std::move(note));
    }
}

} // namespace offstage::status
