#include "stager/archive/atomic_output_file.hpp"

#include "platform/system_error.hpp"

#include <cstdio>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <vector>

namespace offstage::archive {

namespace {

std::filesystem::path temporary_name(const std::filesystem::path& target) {
    std::filesystem::path directory = target.parent_path();
    if (directory.empty()) {
        directory = ".";
    }
    return directory / ("." + target.filename().string() + ".tmp-XXXXXX");
}

platform::UniqueFd make_temporary(std::filesystem::path& path) {
    std::string pattern = path.string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    int fd = ::mkostemp(buffer.data(), O_CLOEXEC);
    if (fd < 0) {
        platform::throw_errno("create a temporary file " + pattern);
    }
    path = buffer.data();
    return platform::UniqueFd(fd);
}

} // namespace

AtomicOutputFile::AtomicOutputFile(std::filesystem::path target)
    : target_(std::move(target))
    , temporary_(temporary_name(target_))
    , fd_(make_temporary(temporary_))
    , sink_(fd_.get(), temporary_.string()) {}

AtomicOutputFile::~AtomicOutputFile() {
    if (!committed_) {
        ::unlink(temporary_.c_str());
    }
}

void AtomicOutputFile::write(std::span<const std::byte> bytes) {
    sink_.write(bytes);
}

void AtomicOutputFile::finish() {
    if (committed_) {
        return;
    }
    if (::fsync(fd_.get()) != 0) {
        platform::throw_errno("fsync " + temporary_.string());
    }
    if (::close(fd_.release()) != 0) {
        platform::throw_errno("close " + temporary_.string());
    }
    if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
        platform::throw_errno("rename " + temporary_.string() + " to " + target_.string());
    }
    committed_ = true;
    // The rename itself must survive a crash, not only the data.
    std::filesystem::path directory = target_.parent_path().empty() ? "." : target_.parent_path();
    platform::UniqueFd directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory_fd && ::fsync(directory_fd.get()) != 0) {
        platform::throw_errno("fsync directory " + directory.string());
    }
}

} // namespace offstage::archive
