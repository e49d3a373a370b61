#include "policies/policy_set.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "policies/policy_index.hpp"
#include "policies/policy_parser.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fnmatch.h>
#include <system_error>
#include <unistd.h>

namespace offstage::policies {

namespace {

std::string describe(const std::string& file, unsigned line, unsigned column,
                     const std::string& message) {
    if (line == 0) {
        return file + ": " + message;
    }
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string read_whole_file(const std::filesystem::path& path) {
    platform::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        platform::throw_errno("open policy file " + path.string());
    }
    std::string text;
    char buffer[65536];
    while (true) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            platform::throw_errno("read policy file " + path.string());
        }
        if (n == 0) {
            return text;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

// The *.policy files of a directory in byte order of their names. Dot files are left out
// (editors' and dpkg's temporary files), and so is anything that is not a regular file.
std::vector<std::filesystem::path> policy_files(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        std::string name = entry.path().filename().string();
        if (name.size() <= 7 || name.front() == '.' || !name.ends_with(".policy")) {
            continue;
        }
        std::error_code error;
        if (!entry.is_regular_file(error)) {
            continue;
        }
        files.push_back(entry.path());
    }
    // std::string compares as unsigned bytes: the order does not depend on the locale.
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
        return a.filename().string() < b.filename().string();
    });
    return files;
}

} // namespace

std::string_view to_string(Verdict verdict) {
    switch (verdict) {
    case Verdict::exclude:
        return "exclude";
    case Verdict::expect:
        return "expect";
    case Verdict::include:
        return "include";
    }
    return "unknown";
}

std::string escape_pattern(std::string_view path) {
    std::string pattern;
    for (char c : path) {
        if (c == '*' || c == '?' || c == '[' || c == '\\' || c == ' ' || c == '\t' || c == '\r' ||
            c == '\f' || c == '\v' || c == '#') {
            pattern.push_back('\\');
        }
        pattern.push_back(c);
    }
    return pattern;
}

PolicyError::PolicyError(std::string file, unsigned line, unsigned column, std::string message)
    : std::runtime_error(describe(file, line, column, message))
    , file_(std::move(file))
    , line_(line)
    , column_(column)
    , message_(std::move(message)) {}

const std::string& PolicyError::file() const {
    return file_;
}
unsigned PolicyError::line() const {
    return line_;
}
unsigned PolicyError::column() const {
    return column_;
}
const std::string& PolicyError::message() const {
    return message_;
}

PolicySet::PolicySet()
    : index_(std::make_unique<PolicyIndex>()) {}
PolicySet::PolicySet(const PolicySet& other)
    : rules_(other.rules_)
    , index_(other.index_ ? std::make_unique<PolicyIndex>(*other.index_)
                          : std::make_unique<PolicyIndex>())
    , volume_rules_(other.volume_rules_) {}
PolicySet::PolicySet(PolicySet&& other) noexcept = default;
PolicySet& PolicySet::operator=(const PolicySet& other) {
    if (this != &other) {
        rules_ = other.rules_;
        index_ = other.index_ ? std::make_unique<PolicyIndex>(*other.index_)
                              : std::make_unique<PolicyIndex>();
        volume_rules_ = other.volume_rules_;
    }
    return *this;
}
PolicySet& PolicySet::operator=(PolicySet&& other) noexcept = default;
PolicySet::~PolicySet() = default;

PolicySet PolicySet::parse(std::string_view text, const std::string& file_name) {
    std::vector<PolicyError> errors;
    PolicySet set;
    auto parsed = PolicyParser::parse(text, file_name, errors, &set.volume_rules_);
    if (!errors.empty()) {
        throw errors.front();
    }
    for (auto& entry : parsed) {
        set.rules_.push_back(std::move(entry.rule));
        set.index_->add(std::move(entry.pattern));
    }
    return set;
}

PolicySet PolicySet::load_directory(const std::filesystem::path& directory) {
    PolicySet set;
    for (const auto& file : policy_files(directory)) {
        set.append(parse(read_whole_file(file), file.string()));
    }
    return set;
}

std::vector<PolicyError> PolicySet::check_directory(const std::filesystem::path& directory) {
    std::vector<PolicyError> errors;
    std::vector<std::filesystem::path> files;
    try {
        files = policy_files(directory);
    } catch (const std::system_error& error) {
        errors.emplace_back(directory.string(), 0, 0,
                            "cannot list policy directory: " + error.code().message());
        return errors;
    }
    for (const auto& file : files) {
        try {
            PolicyParser::parse(read_whole_file(file), file.string(), errors);
        } catch (const std::system_error& error) {
            errors.emplace_back(file.string(), 0, 0,
                                "cannot read policy file: " + error.code().message());
        }
    }
    return errors;
}

void PolicySet::append(const PolicySet& later) {
    if (!index_) {
        index_ = std::make_unique<PolicyIndex>(); // moved from: empty again
    }
    // Copy first: `later` may be *this.
    std::vector<Rule> rules = later.rules_;
    std::size_t count = rules.size();
    for (std::size_t i = 0; i < count; ++i) {
        index_->add(later.index_->pattern(i));
    }
    rules_.insert(rules_.end(), rules.begin(), rules.end());
    std::vector<VolumeRule> volume_rules = later.volume_rules_;
    volume_rules_.insert(volume_rules_.end(), volume_rules.begin(), volume_rules.end());
}

const Rule* PolicySet::match(std::string_view path, bool is_directory) const {
    if (!index_) {
        return nullptr; // moved from
    }
    std::size_t rule = index_->match(path, is_directory);
    return rule == PolicyIndex::none ? nullptr : &rules_[rule];
}

const Rule* PolicySet::subtree_rule(std::string_view directory) const {
    if (!index_) {
        return nullptr; // moved from
    }
    std::size_t rule = index_->subtree_rule(directory);
    return rule == PolicyIndex::none ? nullptr : &rules_[rule];
}

const std::vector<Rule>& PolicySet::rules() const {
    return rules_;
}

const VolumeRule* PolicySet::match_volume(std::string_view volume) const {
    std::string name(volume);
    for (const VolumeRule& rule : volume_rules_) {
        if (::fnmatch(rule.pattern.c_str(), name.c_str(), 0) == 0) {
            return &rule;
        }
    }
    return nullptr;
}

const std::vector<VolumeRule>& PolicySet::volume_rules() const {
    return volume_rules_;
}

} // namespace offstage::policies
