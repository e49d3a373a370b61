// What compiling a policy costs in memory: linear in the pattern's length, so that the longest
// line the parser accepts compiles in a bounded amount, and a pattern many times longer (built
// without the parser) does too. Measured by counting every byte this program allocates through
// operator new while a pattern compiles; past a budget the allocation fails with
// std::bad_alloc, as it would under a memory limit, so a quadratic compiler fails the test
// instead of taking the machine's memory. Its own test binary: operator new is replaced for all
// of it.
#include "policies/glob_pattern.hpp"
#include "policies/policy_parser.hpp"
#include "policies/policy_set.hpp"

#include <atomic>
#include <cstdlib>
#include <gtest/gtest.h>
#include <malloc.h>
#include <new>
#include <string>

namespace {

std::atomic<bool> counting{false};
std::atomic<long long> live{0}; // bytes allocated minus bytes freed since counting began
std::atomic<long long> peak{0};
long long budget = 0;

} // namespace

void* operator new(std::size_t size) {
    void* block = std::malloc(size == 0 ? 1 : size);
    if (block == nullptr) {
        throw std::bad_alloc();
    }
    if (counting.load(std::memory_order_relaxed)) {
        auto bytes = static_cast<long long>(::malloc_usable_size(block));
        long long now = live.fetch_add(bytes) + bytes;
        if (now > budget) {
            live.fetch_sub(bytes);
            std::free(block);
            throw std::bad_alloc();
        }
        long long seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
    }
    return block;
}

void operator delete(void* block) noexcept {
    if (block != nullptr && counting.load(std::memory_order_relaxed)) {
        live.fetch_sub(static_cast<long long>(::malloc_usable_size(block)));
    }
    std::free(block);
}

void operator delete(void* block, std::size_t) noexcept {
    operator delete(block);
}

namespace offstage::policies {
namespace {

// Runs `body` with at most `limit` bytes allocatable; returns the peak, or -1 when the budget
// was exceeded.
template <typename Body>
long long peak_bytes(long long limit, Body body) {
    budget = limit;
    live = 0;
    peak = 0;
    counting = true;
    bool exceeded = false;
    try {
        body();
    } catch (const std::bad_alloc&) {
        exceeded = true;
    }
    counting = false;
    return exceeded ? -1 : peak.load();
}

// 256 bytes of memory per byte of pattern: the compiled states take 48 and the parser's
// elements 40, with room for vector growth. The old compiler's closure table alone took
// (length / 64) * 8 bytes per byte of pattern: 512 per byte at the line bound.
constexpr long long bytes_per_pattern_byte = 256;

TEST(PolicyMemory, APatternAtTheLineBoundCompilesInMemoryLinearInItsLength) {
    // The worst shape for the compiler: every byte its own state, a '*' keeping them all live.
    const std::string head = "exclude /*";
    const std::size_t length = PolicyParser::max_line_bytes - head.size();
    const std::string text = head + std::string(length, 'a') + "\n";
    const long long limit = bytes_per_pattern_byte * static_cast<long long>(length);
    PolicySet set;
    long long used = peak_bytes(limit, [&] { set = PolicySet::parse(text, "long.policy"); });
    ASSERT_NE(used, -1) << "compiling a " << length << "-byte pattern took over " << limit
                        << " bytes";
    EXPECT_EQ(set.rules().size(), 1U);
    // The compiled pattern still matches, in bounded memory too.
    const std::string path = "/x" + std::string(length, 'a');
    const Rule* rule = nullptr;
    used = peak_bytes(limit, [&] { rule = set.match(path, false); });
    ASSERT_NE(used, -1);
    EXPECT_NE(rule, nullptr);
    EXPECT_EQ(set.match(path + "b", false), nullptr);
}

TEST(PolicyMemory, CompilingStaysLinearFarBeyondTheBound) {
    // Forty times the bound, past the parser: the compiler itself must not be quadratic (the old
    // one asked for 3.4 GB here).
    for (std::size_t length : {std::size_t{4096}, std::size_t{40} * 4096}) {
        std::vector<GlobPattern::Element> elements;
        elements.push_back(GlobPattern::Element::literal('/'));
        elements.push_back({GlobPattern::ElementKind::star, {}});
        for (std::size_t i = 0; i < length; ++i) {
            elements.push_back(GlobPattern::Element::literal('a'));
        }
        const long long limit = bytes_per_pattern_byte * static_cast<long long>(length);
        bool matched = true;
        long long used = peak_bytes(limit, [&] {
            GlobPattern pattern(elements, false);
            // Short of the pattern's literal run: a quick "no", whatever the pattern's length
            // (matching a path as long as the pattern costs their product in time, not memory).
            matched = pattern.matches_rest("/baaa", false);
        });
        ASSERT_NE(used, -1) << "a " << length << "-state pattern took over " << limit << " bytes";
        EXPECT_FALSE(matched);
    }
}

} // namespace
} // namespace offstage::policies
