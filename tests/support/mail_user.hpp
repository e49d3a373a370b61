// A throwaway system user with a home (exim's local delivery changes into it), for tests that
// send mail through Debian's real MTA; removed with its home and mailbox. Needs root.
#pragma once

#include <filesystem>
#include <string>

namespace offstage::test {

class MailUser {
public:
    // `prefix` + the pid makes the name ("offstage-mt12345").
    explicit MailUser(const std::string& prefix);
    ~MailUser();
    MailUser(const MailUser&) = delete;
    MailUser& operator=(const MailUser&) = delete;

    bool created() const { return created_; }
    const std::string& error() const { return error_; }
    const std::string& name() const { return name_; }
    std::filesystem::path mailbox() const { return std::filesystem::path("/var/mail") / name_; }

private:
    std::string name_;
    std::filesystem::path home_;
    bool created_ = false;
    std::string error_;
};

} // namespace offstage::test
