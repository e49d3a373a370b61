#include "stager/mail/mail_sender.hpp"

#include "platform/child_process.hpp"
#include "platform/printable_name.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::mail {

using platform::printable_name;

namespace {

// "20261128T205246Z"
std::string compact_utc(std::chrono::system_clock::time_point when) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm t{};
    gmtime_r(&seconds, &t);
    char text[80];
    std::snprintf(text, sizeof text, "%04d%02d%02dT%02d%02d%02dZ", t.tm_year + 1900, t.tm_mon + 1,
                  t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
    return text;
}

// The Message-ID's left part as it may appear in a file name: hex digits only.
bool is_file_safe(std::string_view unique) {
    return !unique.empty() && unique.size() <= 64 &&
           unique.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void write_all(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        ssize_t written = ::write(fd, data.data(), data.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written < 0) {
            platform::throw_errno("write " + what);
        }
        data.remove_prefix(static_cast<std::size_t>(written));
    }
}

// Whatever stopped the mail, as one line.
std::string send(const std::string& message, const MailSettings& settings) {
    for (const std::string& recipient : settings.recipients) {
        if (auto problem = address_problem(recipient)) {
            return "mail not sent: recipient " + *problem;
        }
    }
    if (!settings.from.empty()) {
        if (auto problem = address_problem(settings.from)) {
            return "mail not sent: sender (from) " + *problem;
        }
    }
    platform::ChildProcess::Options options;
    // Built from nothing: a fixed PATH for the MTA's own helpers, messages in English.
    options.environment = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}, {"LC_ALL", "C"}};
    options.input = message;
    options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings.timeout);
    try {
        std::string ignored;
        platform::ChildProcess::run(
            settings.sendmail_command(),
            [&ignored](std::string_view chunk) {
                if (ignored.size() < 4096) {
                    ignored.append(chunk);
                }
            },
            options);
        return {};
    } catch (const platform::ChildProcessError& error) {
        return "mail not sent: " + printable_name(error.what());
    } catch (const std::exception& error) {
        return "mail not sent: " +
               printable_name(platform::ChildProcess::describe(settings.sendmail_command()) + ": " +
                              error.what());
    }
}

} // namespace

std::filesystem::path keep_message(const std::string& message, const MessageIdentity& identity,
                                   const std::filesystem::path& keep_dir) {
    if (!is_file_safe(identity.unique)) {
        throw std::invalid_argument("keep mail: the Message-ID part is not hex: " +
                                    printable_name(identity.unique));
    }
    std::error_code error;
    if (!std::filesystem::exists(keep_dir, error)) {
        std::filesystem::create_directories(keep_dir.parent_path(), error);
        if (::mkdir(keep_dir.c_str(), 0700) != 0 && errno != EEXIST) {
            platform::throw_errno("create the mail keep directory " + keep_dir.string());
        }
    }
    // O_NOFOLLOW: the directory is written as root; a link there must not redirect the write.
    platform::UniqueFd dir(
        ::open(keep_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!dir) {
        platform::throw_errno("open the mail keep directory " + keep_dir.string());
    }
    const std::string name = compact_utc(identity.date) + "-" + identity.unique + ".eml";
    const std::string temporary = "." + name + ".tmp";
    const std::filesystem::path path = keep_dir / name;
    platform::UniqueFd file(::openat(dir.get(), temporary.c_str(),
                                     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!file) {
        platform::throw_errno("create " + (keep_dir / temporary).string());
    }
    try {
        write_all(file.get(), message, (keep_dir / temporary).string());
        if (::fsync(file.get()) != 0) {
            platform::throw_errno("fsync " + (keep_dir / temporary).string());
        }
        file.reset();
        // NOREPLACE: a kept message is never overwritten, whatever name collides.
        if (::renameat2(dir.get(), temporary.c_str(), dir.get(), name.c_str(), RENAME_NOREPLACE) !=
            0) {
            platform::throw_errno("rename " + (keep_dir / temporary).string() + " to " +
                                  path.string());
        }
    } catch (...) {
        ::unlinkat(dir.get(), temporary.c_str(), 0);
        throw;
    }
    if (::fsync(dir.get()) != 0) {
        platform::throw_errno("fsync " + keep_dir.string());
    }
    return path;
}

MailDelivery deliver(const std::string& message, const MessageIdentity& identity,
                     const std::string& host, const MailSettings& settings) {
    MailDelivery delivery;
    delivery.message_id = message_id(identity, host);
    delivery.error = send(message, settings);
    if (delivery.error.empty()) {
        delivery.state = MailDelivery::State::sent;
        return delivery;
    }
    delivery.state = MailDelivery::State::failed;
    try {
        delivery.kept = keep_message(message, identity, settings.keep_dir);
        delivery.error += "; the message is kept in " + printable_name(delivery.kept.string());
    } catch (const std::exception& error) {
        delivery.error += "; and it could not be kept: " + printable_name(error.what());
    }
    return delivery;
}

MailDelivery send_report_mail(const report::RunResult& run, const MailSettings& settings,
                              const std::vector<std::string>& why) {
    if (settings.recipients.empty()) {
        MailDelivery delivery;
        delivery.state = MailDelivery::State::not_configured;
        return delivery;
    }
    MessageIdentity identity = MessageIdentity::fresh();
    return deliver(render_message(run, settings, identity, why), identity, run.host, settings);
}

} // namespace offstage::mail
