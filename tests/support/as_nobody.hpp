// Root reads every file and enters every directory, so a permission error can only be seen
// without root. CI runs as root: a test that needs one runs its body as nobody, in a child.
#pragma once

#include <functional>

namespace offstage::test {

inline constexpr int nobody_could_not_drop_root = 3;
inline constexpr int nobody_threw = 4;

// Runs `body` in a forked child that has dropped to uid and gid 65534 with no supplementary
// groups, and returns its exit status: what `body` returned, nobody_could_not_drop_root,
// nobody_threw (an exception, printed on stderr), or 128 + a signal. Files the body needs must
// be reachable by nobody. Call it from the test's own thread, with no other threads running.
int run_as_nobody(const std::function<int()>& body);

} // namespace offstage::test
