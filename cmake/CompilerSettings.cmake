# Warnings, hardening and sanitizers for every target of the project.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
                    -Wformat=2 -Wimplicit-fallthrough)
if(OFFSTAGE_WERROR)
    add_compile_options(-Werror)
endif()

# Hardening as Debian builds it: the forced shell faces an untrusted peer.
add_compile_options(-fstack-protector-strong -fstack-clash-protection)
add_compile_definitions($<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2> _GLIBCXX_ASSERTIONS)
add_link_options(-Wl,-z,relro -Wl,-z,now -Wl,--as-needed)

if(OFFSTAGE_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

if(OFFSTAGE_FUZZ)
    # Coverage counters in every library a fuzz target links, not only in the target itself:
    # without them libFuzzer cannot see which inputs reach new code in what it is fuzzing.
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()
