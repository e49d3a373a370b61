# Every dependency comes from a Debian package (tools/debian-packages.txt).
find_package(PkgConfig REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED) # the age format, fuzzed too

if(NOT OFFSTAGE_FUZZ)
    find_package(CLI11 REQUIRED)
    find_package(fmt REQUIRED)
    find_package(nlohmann_json 3.10 REQUIRED) # header-only: `offstage status --json`
    find_package(LibArchive REQUIRED)
    find_package(SQLite3 REQUIRED)
    find_package(nlohmann_json 3.10 REQUIRED) # report.json
    find_package(Boost 1.74 REQUIRED COMPONENTS filesystem)
    pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
    pkg_check_modules(ACL REQUIRED IMPORTED_TARGET libacl)
    if(OFFSTAGE_TESTS)
        find_package(GTest REQUIRED)
    endif()
endif()
