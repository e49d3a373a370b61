#include "stager/staging/day_seal.hpp"

#include "platform/staging_layout.hpp"
#include "stager/staging/day_file.hpp"

namespace offstage::staging {

namespace layout = platform::staging_layout;

std::string trusted_comment_for(std::string_view day, std::string_view host, std::time_t when) {
    for (char c : host) {
        if (c <= ' ' || c >= 0x7f) {
            throw StagingError("the host name for the signature must be one printable word");
        }
    }
    return "offstage day=" + std::string(day) + " host=" + std::string(host) +
           " timestamp=" + std::to_string(static_cast<long long>(when));
}

void seal_day(const WorkDir& work, const Sha256Sums& files, const SigningKey& key,
              std::string_view host, std::time_t when) {
    for (const auto& [name, digest] : files) {
        if (name == layout::sums_name || name == layout::signature_name) {
            throw StagingError("SHA256SUMS cannot list " + name);
        }
    }
    std::string sums = format_sha256sums(files);
    write_day_file(work, std::string(layout::sums_name), sums);
    std::string signature =
        key.sign({reinterpret_cast<const std::uint8_t*>(sums.data()), sums.size()},
                 trusted_comment_for(work.day(), host, when),
                 "offstage signature of SHA256SUMS, host " + std::string(host));
    write_day_file(work, std::string(layout::signature_name), signature);
}

} // namespace offstage::staging
