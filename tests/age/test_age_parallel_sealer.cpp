// The encryptor with several seal threads (ParallelSealer): every size around the chunk and job
// boundaries and every way of splitting the writes gives a file of exactly the size STREAM
// prescribes that offstage's decryptor and the stock `age` both open; output errors reach the
// caller, and an encryptor abandoned half-way neither hangs nor finishes its sink.
#include "stager/age/age_error.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/age/parallel_sealer.hpp"
#include "tests/age/memory_streams.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

namespace offstage::age {
namespace {

constexpr std::size_t chunk = 64 * 1024;
constexpr std::size_t job = ParallelSealer::chunks_per_job * chunk;

std::string encrypt(const EncryptOptions& options, const std::string& plaintext,
                    std::size_t write_step) {
    test::StringSink sink;
    Encryptor encryptor(options, sink);
    for (std::size_t at = 0; at < plaintext.size(); at += write_step) {
        std::size_t size = std::min(write_step, plaintext.size() - at);
        encryptor.write(std::as_bytes(std::span(plaintext.data() + at, size)));
    }
    encryptor.finish();
    EXPECT_EQ(sink.finished, 1);
    return sink.data;
}

std::string decrypt(const X25519Identity& identity, const std::string& file) {
    DecryptOptions options;
    options.identities = {identity};
    test::StringSource source(file, 7919);
    Decryptor decryptor(options, source, "parallel.age");
    std::string plaintext;
    std::vector<std::byte> buffer(100000);
    while (std::size_t got = decryptor.read(buffer)) {
        plaintext.append(reinterpret_cast<const char*>(buffer.data()), got);
    }
    return plaintext;
}

std::size_t payload_size(std::size_t plaintext) {
    std::size_t chunks = plaintext == 0 ? 1 : (plaintext + chunk - 1) / chunk;
    return 16 + plaintext + 16 * chunks;
}

std::size_t header_size(const std::string& file) {
    std::size_t mac_line = file.find("\n--- ");
    return file.find('\n', mac_line + 1) + 1;
}

TEST(AgeParallelSealer, EverySizeAroundChunkAndJobBoundaries) {
    auto identity = X25519Identity::generate();
    for (int threads : {2, 3, 8}) {
        EncryptOptions options;
        options.recipients = {identity.recipient()};
        options.threads = threads;
        for (std::size_t size : {std::size_t{0}, std::size_t{1}, chunk, chunk + 1, job - 1, job,
                                 job + 1, 2 * job, 5 * job + 3 * chunk + 17}) {
            std::string plaintext = test::random_string(size);
            for (std::size_t step : {std::size_t{1000}, chunk + 1, job, SIZE_MAX}) {
                std::string file = encrypt(options, plaintext, step);
                ASSERT_EQ(file.size() - header_size(file), payload_size(size))
                    << threads << " threads, size " << size << ", step " << step;
                ASSERT_TRUE(decrypt(identity, file) == plaintext)
                    << threads << " threads, size " << size << ", step " << step;
            }
        }
    }
}

TEST(AgeParallelSealer, StockAgeDecryptsIt) {
    test::TempDir dir("offstage-age-parallel");
    auto made = test::run_command({"age-keygen", "-o", (dir / "a.key").string()});
    ASSERT_EQ(made.exit_status, 0) << "age-keygen (Debian package age) is required: " << made.err;
    auto recipient = test::run_command({"age-keygen", "-y", (dir / "a.key").string()});
    ASSERT_EQ(recipient.exit_status, 0) << recipient.err;
    for (bool armor : {false, true}) {
        EncryptOptions options;
        options.recipients = {
            X25519Recipient::parse(recipient.out.substr(0, recipient.out.find('\n')))};
        options.armor = armor;
        options.threads = 4;
        std::string plaintext = test::random_string(3 * job + 333);
        auto file = test::write_file(dir / "parallel.age", encrypt(options, plaintext, 100000));
        auto result =
            test::run_command({"age", "-d", "-i", (dir / "a.key").string(), file.string()});
        ASSERT_EQ(result.exit_status, 0) << "armor " << armor << ": " << result.err;
        EXPECT_TRUE(result.out == plaintext) << "armor " << armor << ": the plaintext differs";
    }
}

// Throws once more than `limit` bytes were written.
class FailingSink : public platform::ByteSink {
public:
    explicit FailingSink(std::size_t limit)
        : limit_(limit) {}
    void write(std::span<const std::byte> bytes) override {
        written_ += bytes.size();
        if (written_ > limit_) {
            throw std::runtime_error("disk full (test)");
        }
    }
    void finish() override { ++finished; }
    int finished = 0;

private:
    std::size_t limit_;
    std::size_t written_ = 0;
};

TEST(AgeParallelSealer, AnOutputErrorReachesTheCaller) {
    auto identity = X25519Identity::generate();
    EncryptOptions options;
    options.recipients = {identity.recipient()};
    options.threads = 3;
    FailingSink sink(3 * job);
    Encryptor encryptor(options, sink);
    const std::string block = test::random_string(job / 3);
    try {
        for (int i = 0; i < 200; ++i) { // 66 MiB: far more than the jobs in flight can hold
            encryptor.write(std::as_bytes(std::span(block)));
        }
        encryptor.finish();
        FAIL() << "the sink's error was lost";
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "disk full (test)");
    }
    EXPECT_EQ(sink.finished, 0);
}

TEST(AgeParallelSealer, AbandonedHalfWayLeavesTheSinkUnfinished) {
    auto identity = X25519Identity::generate();
    EncryptOptions options;
    options.recipients = {identity.recipient()};
    options.threads = 2;
    test::StringSink sink;
    {
        Encryptor encryptor(options, sink);
        const std::string block = test::random_string(job + 5);
        for (int i = 0; i < 5; ++i) {
            encryptor.write(std::as_bytes(std::span(block)));
        }
    }
    EXPECT_EQ(sink.finished, 0);
}

} // namespace
} // namespace offstage::age
