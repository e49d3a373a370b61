// offstage-e2e-site: runs a command next to a live deployment (ShellDeployment: sshd on
// 127.0.0.1, offstage-shell behind a forced key, `backup` running the real `offstage run` on a
// tiny dpkg root this program builds with dpkg first), then stops sshd and removes everything.
// tools/demo.sh runs its steps under it, so the demo and the end-to-end tests stand on the same
// harness.
//
//   offstage-e2e-site [--shell PATH] [--offstage PATH] [--keep] -- COMMAND [ARGS...]
//   offstage-e2e-site --show-mail FILE
//
// COMMAND finds the deployment in its environment (OFFSTAGE_E2E_*), and its exit status is
// this program's. --show-mail prints a message the deployment's sendmail kept: its headers,
// then its body decoded from quoted-printable.
#include "tests/e2e/sent_mail.hpp"
#include "tests/e2e/shell_deployment.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using offstage::e2e::ShellDeployment;

constexpr int usage_status = 2;
constexpr int setup_status = 70; // EX_SOFTWARE: the harness itself could not set up

volatile sig_atomic_t forwarded_signal = 0;
pid_t command_pid = -1;

void forward_signal(int signal_number) {
    forwarded_signal = signal_number;
    if (command_pid > 0) {
        ::kill(command_pid, signal_number);
    }
}

int usage(const char* message) {
    std::cerr << "offstage-e2e-site: " << message << "\n"
              << "usage: offstage-e2e-site [--shell PATH] [--offstage PATH] [--keep] -- COMMAND "
                 "[ARGS...]\n"
                 "       offstage-e2e-site --show-mail FILE\n";
    return usage_status;
}

// Runs argv with this process's stdio and the extra variables; returns its exit status.
int run_in_foreground(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& variables) {
    std::vector<std::string> env_strings;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        if (variables.count(text.substr(0, text.find('='))) == 0) {
            env_strings.push_back(text);
        }
    }
    for (const auto& [key, value] : variables) {
        env_strings.push_back(key + "=" + value);
    }
    std::vector<char*> envp;
    for (std::string& entry : env_strings) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args_storage = argv;
    std::vector<char*> args;
    for (std::string& arg : args_storage) {
        args.push_back(arg.data());
    }
    args.push_back(nullptr);

    if (forwarded_signal != 0) { // interrupted while the deployment was set up
        return 128 + forwarded_signal;
    }
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), envp.data());
    if (rc != 0) {
        std::cerr << "offstage-e2e-site: cannot run " << argv[0] << ": " << std::strerror(rc)
                  << "\n";
        return 127;
    }
    command_pid = pid;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            std::cerr << "offstage-e2e-site: waitpid " << argv[0] << ": " << std::strerror(errno)
                      << "\n";
            return setup_status;
        }
    }
    command_pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

int show_mail(const fs::path& file) {
    try {
        const offstage::e2e::SentMail mail = offstage::e2e::SentMail::read(file);
        std::cout << mail.headers() << "\n" << mail.body();
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "offstage-e2e-site: " << error.what() << "\n";
        return 1;
    }
}

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--show-mail") {
        return show_mail(argv[2]);
    }
    fs::path shell_program;
    fs::path offstage_program;
    bool keep = false;
    std::vector<std::string> command;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--shell" && i + 1 < argc) {
            shell_program = argv[++i];
        } else if (arg == "--offstage" && i + 1 < argc) {
            offstage_program = argv[++i];
        } else if (arg == "--keep") {
            keep = true;
        } else if (arg == "--") {
            command.assign(argv + i + 1, argv + argc);
            break;
        } else {
            return usage(("unknown argument: " + arg).c_str());
        }
    }
    if (command.empty()) {
        return usage("no command given after --");
    }
    // From here on Ctrl-C (or a TERM or HUP) is noted and passed to the command, never fatal
    // here: whatever happens, sshd is stopped and the directory removed before we exit.
    struct sigaction action {};
    action.sa_handler = forward_signal;
    sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        ::sigaction(signal_number, &action, nullptr);
    }

    try {
        if (shell_program.empty()) {
            shell_program = offstage::test::built_program("offstage-shell");
        }
        if (offstage_program.empty()) {
            offstage_program = offstage::test::built_program("offstage");
        }
        offstage::test::TempDir directory("offstage-e2e-site");
        int status = 0;
        {
            std::cerr << "offstage-e2e-site: building a tiny dpkg root to scan (dpkg-deb, dpkg)\n";
            const offstage::test::TinyDebianRoot tiny_root;
            ShellDeployment::Options options;
            options.shell_program = fs::absolute(shell_program);
            options.offstage_program = fs::absolute(offstage_program);
            options.scan = {tiny_root.root(), tiny_root.admindir(), tiny_root.policy_dir()};
            ShellDeployment site(directory.path(), options);
            const auto& sshd = site.sshd();
            status = run_in_foreground(command,
                                       {{"OFFSTAGE_E2E_DIR", site.directory().string()},
                                        {"OFFSTAGE_E2E_STAGING", site.staging_root().string()},
                                        {"OFFSTAGE_E2E_WORK_ROOT", site.work_root().string()},
                                        {"OFFSTAGE_E2E_CONFIG", site.config_file().string()},
                                        {"OFFSTAGE_E2E_RUN_CONFIG", site.run_config().string()},
                                        {"OFFSTAGE_E2E_OFFSTAGE", site.offstage_program().string()},
                                        {"OFFSTAGE_E2E_SCAN_ROOT", tiny_root.root().string()},
                                        {"OFFSTAGE_E2E_IDENTITY", site.identity().string()},
                                        {"OFFSTAGE_E2E_SIGNING_KEY", site.signing_key().string()},
                                        {"OFFSTAGE_E2E_MAIL", site.last_mail().string()},
                                        {"OFFSTAGE_E2E_SHELL_LOG", site.shell_log().string()},
                                        {"OFFSTAGE_E2E_AUTHORIZED_KEYS",
                                         (site.directory() / "sshd" / "authorized_keys").string()},
                                        {"OFFSTAGE_E2E_HOST", sshd.destination()},
                                        {"OFFSTAGE_E2E_PORT", std::to_string(sshd.port())},
                                        {"OFFSTAGE_E2E_SSH", sshd.ssh_command_line()},
                                        {"OFFSTAGE_E2E_OPENSSH", sshd.openssh_version()}});
            if (keep) {
                std::cerr << "offstage-e2e-site: --keep: sshd runs until you press Enter; "
                             "deployment in "
                          << site.directory().string() << "\n";
                std::string line;
                std::getline(std::cin, line);
            }
        }
        std::cerr << "offstage-e2e-site: sshd stopped, " << directory.path().string()
                  << " and the tiny dpkg root removed\n";
        if (forwarded_signal != 0) {
            return 128 + forwarded_signal;
        }
        return status;
    } catch (const std::exception& error) {
        std::cerr << "offstage-e2e-site: " << error.what() << "\n";
        return setup_status;
    }
}
