// WORKAROUND until platform/ provides it (reported to the lead): platform/config_file.cpp
// includes toml++ with TOML_EXCEPTIONS=0, which selects the toml::noex ABI, but Debian's
// libtomlplusplus.so is built with exceptions and exports only toml::ex. This translation
// unit compiles toml++'s implementation for the noex ABI so that ConfigFile links. Remove it
// once platform/ compiles the implementation itself.
#define TOML_EXCEPTIONS 0
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
