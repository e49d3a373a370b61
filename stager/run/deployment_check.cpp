#include "stager/run/deployment_check.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::run {

namespace {

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

// An existing directory owned by us, not a symlink, without the `forbidden` mode bits.
bool check_directory(const std::filesystem::path& path, const std::string& what, mode_t forbidden,
                     const char* rule, DeploymentFindings& findings, struct stat& info) {
    if (::lstat(path.c_str(), &info) != 0) {
        findings.problems.push_back(what + " " + path.string() + ": " + std::strerror(errno));
        return false;
    }
    if (!S_ISDIR(info.st_mode)) {
        findings.problems.push_back(what + " " + path.string() +
                                    " is not a directory (a symlink is not followed)");
        return false;
    }
    if (info.st_uid != ::geteuid()) {
        findings.problems.push_back(what + " " + path.string() + " belongs to uid " +
                                    std::to_string(info.st_uid) + ", not to the user of the run");
        return false;
    }
    if ((info.st_mode & forbidden) != 0) {
        findings.problems.push_back(what + " " + path.string() + " has mode " +
                                    octal(info.st_mode) + ": " + rule);
        return false;
    }
    findings.good.push_back(what + " " + path.string() + ": a directory, " + octal(info.st_mode));
    return true;
}

void check_program(const std::vector<std::string>& argv, const std::string& what,
                   DeploymentFindings& findings) {
    if (argv.empty()) {
        return;
    }
    if (::access(argv.front().c_str(), X_OK) != 0) {
        findings.problems.push_back(what + " " + argv.front() + ": " + std::strerror(errno));
    } else {
        findings.good.push_back(what + " " + argv.front() + ": executable");
    }
}

bool inside(const std::filesystem::path& path, const std::filesystem::path& root) {
    std::filesystem::path normal_path = path.lexically_normal();
    std::filesystem::path normal_root = root.lexically_normal();
    auto [end, ignored] = std::mismatch(normal_root.begin(), normal_root.end(), normal_path.begin(),
                                        normal_path.end());
    return end == normal_root.end() || (std::next(end) == normal_root.end() && end->empty());
}

} // namespace

DeploymentFindings check_deployment(const RunSettings& settings) {
    DeploymentFindings findings;
    struct stat served {};
    bool served_ok = check_directory(settings.staging_root, "staging root", S_IWGRP | S_IRWXO,
                                     "the pull user's group may read it, nobody else (chmod 0750)",
                                     findings, served);
    struct stat work {};
    if (::lstat(settings.work_root.c_str(), &work) != 0 && errno == ENOENT) {
        std::filesystem::path parent = settings.work_root.parent_path();
        struct stat parent_info {};
        if (::stat(parent.c_str(), &parent_info) != 0) {
            findings.problems.push_back("work root " + settings.work_root.string() +
                                        ": neither it nor its directory exists");
        } else if (served_ok && parent_info.st_dev != served.st_dev) {
            findings.problems.push_back("work root " + settings.work_root.string() +
                                        " would be on another filesystem than the staging root");
        } else {
            findings.good.push_back("work root " + settings.work_root.string() +
                                    ": created (0700) by the first run");
        }
    } else if (check_directory(settings.work_root, "work root", 077,
                               "a run in progress is root's alone (chmod 0700)", findings, work) &&
               served_ok) {
        if (work.st_dev != served.st_dev) {
            findings.problems.push_back(
                "work root " + settings.work_root.string() + " and staging root " +
                settings.staging_root.string() +
                " are on different filesystems: publishing must be one rename");
        } else {
            findings.good.push_back("work root and staging root: one filesystem");
        }
    }
    if (inside(settings.work_root, settings.staging_root)) {
        findings.problems.push_back("work root " + settings.work_root.string() +
                                    " lies inside the staging root, which the provider pulls");
    }
    if (inside(settings.staging_root, settings.scan.root)) {
        findings.good.push_back("the scan of " + settings.scan.root.string() +
                                " skips the staging and work roots");
    }
    // What every published tree gets (docs/staging-tree.md, "Publishing"): the config check
    // refused modes that give the world or the group's write anything.
    struct passwd* owner = ::getpwuid(::geteuid());
    struct group* group = ::getgrgid(settings.pull.group);
    findings.good.push_back(
        "published trees: owner " + (owner != nullptr ? std::string(owner->pw_name) : "uid") +
        " (uid " + std::to_string(::geteuid()) + "), group " +
        (group != nullptr ? std::string(group->gr_name) : "gid") + " (gid " +
        std::to_string(settings.pull.group) + "), files " + octal(settings.pull.file_mode) +
        ", directories " + octal(settings.pull.directory_mode));
    struct stat key {};
    if (::lstat(settings.signing_key.c_str(), &key) == 0) {
        if (!S_ISREG(key.st_mode) || (key.st_mode & 077) != 0 || key.st_uid != ::geteuid()) {
            findings.problems.push_back("signing key " + settings.signing_key.string() +
                                        " must be a regular file of ours with mode 0600");
        } else {
            findings.good.push_back("signing key " + settings.signing_key.string() + ": 0600");
        }
    } else if (std::filesystem::path directory = settings.signing_key.parent_path();
               ::access(directory.c_str(), F_OK) == 0 && ::access(directory.c_str(), W_OK) != 0) {
        findings.problems.push_back(
            "signing key " + settings.signing_key.string() +
            ": missing, and its directory is not writable: " + std::strerror(errno));
    } else {
        findings.good.push_back("signing key " + settings.signing_key.string() +
                                ": created (0600) by the first run");
    }
    if (!settings.mail.recipients.empty()) {
        check_program({settings.mail.sendmail}, "[mail] sendmail", findings);
    }
    check_program(settings.pre_hook, "[hooks] pre", findings);
    check_program(settings.post_hook, "[hooks] post", findings);
    for (const sources::SpoolSettings& spool : settings.spools) {
        struct stat info {};
        if (::lstat(spool.directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
            findings.problems.push_back("[[spool]] " + spool.name + ": directory " +
                                        spool.directory.string() + " is not a directory");
        } else {
            findings.good.push_back("[[spool]] " + spool.name + ": " + spool.directory.string());
        }
    }
    return findings;
}

} // namespace offstage::run
