#include "tests/support/mail_user.hpp"

#include "tests/support/run_command.hpp"

#include <unistd.h>

namespace offstage::test {

MailUser::MailUser(const std::string& prefix)
    : name_(prefix + std::to_string(::getpid()))
    , home_("/tmp/" + name_) {
    auto result = run_command({"/usr/sbin/useradd", "--system", "--create-home", "--home-dir",
                               home_.string(), "--shell", "/usr/sbin/nologin", name_});
    created_ = result.exit_status == 0;
    error_ = result.err;
}

MailUser::~MailUser() {
    if (created_) {
        run_command({"/usr/sbin/userdel", "--remove", name_});
    }
    std::error_code ignored;
    std::filesystem::remove(mailbox(), ignored);
    std::filesystem::remove_all(home_, ignored);
}

} // namespace offstage::test
