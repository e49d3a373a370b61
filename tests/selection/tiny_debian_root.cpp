#include "tests/selection/tiny_debian_root.hpp"

#include "tests/support/run_command.hpp"

#include <memory>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::test {

namespace {

void run(std::vector<std::string> argv) {
    // dpkg refuses to work as non-root unless forced, and cannot chown without fakeroot.
    // ucfr refuses to run as non-root.
    if (::geteuid() != 0 && (argv[0] == "dpkg" || argv[0] == "dpkg-divert" || argv[0] == "ucfr")) {
        argv.insert(argv.begin(), "fakeroot");
    }
    CommandResult result = run_command(argv);
    if (result.exit_status != 0) {
        std::string command;
        for (const std::string& arg : argv) {
            command += arg + " ";
        }
        throw std::runtime_error(command + "exited " + std::to_string(result.exit_status) + ": " +
                                 result.out + result.err);
    }
}

std::string output_of(const std::vector<std::string>& argv) {
    CommandResult result = run_command(argv);
    if (result.exit_status != 0) {
        throw std::runtime_error(argv[0] + " failed: " + result.err);
    }
    std::string out = result.out;
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

struct Package {
    std::string name;
    std::string arch = "all";
    std::string extra_control;                                // e.g. "Multi-Arch: same\n"
    std::vector<std::pair<std::string, std::string>> files;   // path (no leading /), content
    std::vector<std::string> conffiles;                       // absolute paths
    std::vector<std::pair<std::string, std::string>> scripts; // name, body
};

std::filesystem::path build(const std::filesystem::path& work, const Package& package) {
    std::filesystem::path tree = work / (package.name + "_" + package.arch);
    write_file(tree / "DEBIAN/control",
               "Package: " + package.name + "\nVersion: 1.0\nArchitecture: " + package.arch + "\n" +
                   package.extra_control +
                   "Maintainer: offstage tests <tests@example.org>\nDescription: offstage "
                   "selection test package\n");
    for (const auto& [path, content] : package.files) {
        write_file(tree / path, content);
    }
    if (!package.conffiles.empty()) {
        std::string list;
        for (const std::string& conffile : package.conffiles) {
            list += conffile + "\n";
        }
        write_file(tree / "DEBIAN/conffiles", list);
    }
    for (const auto& [name, body] : package.scripts) {
        write_file(tree / "DEBIAN" / name, "#!/bin/sh\nset -e\n" + body,
                   std::filesystem::perms(0755));
    }
    std::filesystem::path deb = work / (package.name + "_" + package.arch + ".deb");
    run({"dpkg-deb", "--root-owner-group", "--build", tree.string(), deb.string()});
    return deb;
}

} // namespace

TinyDebianRoot::TinyDebianRoot() {
    const std::filesystem::path root = this->root();
    const std::filesystem::path work = dir_ / "build";
    native_arch_ = output_of({"dpkg", "--print-architecture"});
    foreign_arch_ = native_arch_ == "i386" ? "amd64" : "i386";

    // An empty database, and a merged /usr (/bin is a symlink to usr/bin) as on Debian 12.
    std::filesystem::create_directories(admindir() / "info");
    std::filesystem::create_directories(admindir() / "updates");
    write_file(admindir() / "status", "");
    std::filesystem::create_directories(root / "usr/bin");
    std::filesystem::create_directory_symlink("usr/bin", root / "bin");

    std::vector<std::filesystem::path> debs;
    debs.push_back(
        build(work, {"tiny-conf",
                     "all",
                     "",
                     {{"etc/tiny/a.conf", "a\n"},
                      {"etc/tiny/b.conf", "b\n"},
                      {"etc/tiny/with space.conf", "s\n"},
                      {"usr/share/tiny/data", "packaged data\n"},
                      {"usr/share/tiny/caf\xe9", "non-UTF-8 name\n"},
                      {"usr/share/tiny/local", "packaged local\n"},
                      {"bin/tinytool", "#!/bin/sh\n"}},
                     {"/etc/tiny/a.conf", "/etc/tiny/b.conf", "/etc/tiny/with space.conf"},
                     {{"postinst", "mkdir -p \"$DPKG_ROOT/var/lib/tiny\"\n"
                                   "echo state > \"$DPKG_ROOT/var/lib/tiny/state\"\n"}}}));
    debs.push_back(
        build(work, {"tiny-divert",
                     "all",
                     "",
                     {{"usr/share/tiny/data", "diverting data\n"}},
                     {},
                     {{"preinst", "if [ \"$1\" = install ]; then\n"
                                  "  dpkg-divert --package tiny-divert --add --rename --divert "
                                  "/usr/share/tiny/data.distrib /usr/share/tiny/data\nfi\n"}}}));
    for (const std::string& arch : {native_arch_, foreign_arch_}) {
        debs.push_back(build(work, {"libtiny",
                                    arch,
                                    "Multi-Arch: same\n",
                                    {{"usr/lib/tiny-" + arch + "/libtiny.so.1", arch + "\n"},
                                     {"usr/share/doc/libtiny/README", "shared\n"}},
                                    {},
                                    {}}));
    }
    debs.push_back(build(work, {"tiny-gone",
                                "all",
                                "",
                                {{"etc/tiny-gone.conf", "gone\n"},
                                 {"usr/share/tiny-gone/file", "removed with the package\n"}},
                                {"/etc/tiny-gone.conf"},
                                {}}));

    // Maintainer scripts run without chroot (the root has no shell), with DPKG_ROOT set.
    std::vector<std::string> dpkg = {"dpkg", "--root=" + root.string(), "--force-script-chrootless",
                                     "--force-not-root", "--log=/dev/null"};
    auto with = [&dpkg](std::vector<std::string> args) {
        std::vector<std::string> argv = dpkg;
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    };
    run(with({"--add-architecture", foreign_arch_}));
    std::vector<std::string> install = {"--install"};
    for (const std::filesystem::path& deb : debs) {
        install.push_back(deb.string());
    }
    run(with(install));
    run(with({"--remove", "tiny-gone"})); // removed, not purged: config-files state
    run({"dpkg-divert", "--root=" + root.string(), "--local", "--rename", "--divert",
         "/usr/share/tiny/local.orig", "--add", "/usr/share/tiny/local"});

    // An alternative registered by the real update-alternatives (as a postinst would), its
    // master link named through the /bin alias, with a slave link; and a file registered with
    // ucf by the real ucfr, with the hash ucf records (ucf itself cannot be pointed at another
    // root: it writes the hashfile line as `md5sum NEW | sed s|NEW|DEST|`, done here the same way).
    std::filesystem::create_directories(admindir() / "alternatives");
    std::filesystem::create_directories(root / "usr/share/man/man1");
    run({"update-alternatives", "--root", root.string(), "--install", "/bin/tinyedit", "tinyedit",
         "/usr/bin/tinytool", "50", "--slave", "/usr/share/man/man1/tinyedit.1.gz", "tinyedit.1.gz",
         "/usr/share/tiny/data.distrib"});
    std::filesystem::create_directories(root / "var/lib/ucf");
    write_file(root / "etc/tiny/ucf.conf", "as ucf installed it\n");
    run({"ucfr", "--state-dir", (root / "var/lib/ucf").string(), "tiny-conf",
         "/etc/tiny/ucf.conf"});
    std::string hash = output_of({"md5sum", (root / "etc/tiny/ucf.conf").string()});
    write_file(root / "var/lib/ucf/hashfile", hash.substr(0, 32) + "  /etc/tiny/ucf.conf\n");

    // The admin's changes.
    write_file(root / "etc/tiny/ucf.conf", "as ucf installed it, edited by the admin\n");
    write_file(root / "usr/share/tiny/local", "the admin's own local\n");
    write_file(root / "etc/tiny/a.conf", "a, edited by the admin\n");
    std::filesystem::remove(root / "etc/tiny/b.conf");
    write_file(root / "etc/tiny/local-admin.conf", "admin\n");
    write_file(root / "srv/site/index.html", "<html>\n");
    write_file(root / "var/cache/junk/blob", "regenerable\n");
    write_file(root / "root/r\xe9sum\xe9", "non-UTF-8 name\n");
    write_file(root / "home/u/my file", "space\n");
    if (::mkfifo((root / "srv/fifo").c_str(), 0600) != 0) {
        throw std::runtime_error("mkfifo " + (root / "srv/fifo").string());
    }

    write_file(policy_file(), "# the test's policy\n"
                              "exclude /var/cache/\n"
                              "exclude /var/lib/dpkg/\n"
                              "exclude /var/log/\n"
                              "expect /srv/\n"
                              "expect /home/**\n"
                              "include /usr/share/tiny/data\n"
                              "expect /etc/alternatives/\n"
                              // ucf's own state: read by the scan, not walked (pruned).
                              "exclude /var/lib/ucf/\n");
}

std::vector<std::string> TinyDebianRoot::expected_members() {
    return {
        "expected /etc/alternatives/tinyedit",      // expect /etc/alternatives/
        "expected /etc/alternatives/tinyedit.1.gz", // expect /etc/alternatives/
        "conffile /etc/tiny-gone.conf",             // owned by a package in config-files state
        "conffile /etc/tiny/a.conf",                // modified
        "annoying /etc/tiny/local-admin.conf",      // no package, no rule
        "expected /etc/tiny/ucf.conf",              // ucf's registry names it
        "conffile /etc/tiny/with space.conf",       // unchanged, still backed up
        "expected /home/u/my file",                 // expect /home/**
        "annoying /root/r\xe9sum\xe9",              // no rule
        "expected /srv/site/index.html",            // expect /srv/
        "expected /usr/bin/tinyedit", // the alternative's master link (as /bin/tinyedit)
        "expected /usr/share/man/man1/tinyedit.1.gz", // its slave link
        "included /usr/share/tiny/data",              // a package file, but included by rule
        "annoying /usr/share/tiny/local",             // the admin's file behind a local diversion
        "annoying /var/lib/tiny/state",               // made by a postinst: no package lists it
    };
}

std::vector<std::string> TinyDebianRoot::expected_conffiles() {
    return {
        "unchanged /etc/tiny-gone.conf",
        "modified /etc/tiny/a.conf",
        "missing /etc/tiny/b.conf",
        "unchanged /etc/tiny/with space.conf",
    };
}

const TinyDebianRoot& TinyDebianRoot::shared() {
    static const std::unique_ptr<TinyDebianRoot> instance = std::make_unique<TinyDebianRoot>();
    return *instance;
}

} // namespace offstage::test
