// Switches the calling thread (uselocale, not setlocale: other threads are untouched) to the
// C.UTF-8 LC_CTYPE for the lifetime of the object. libarchive converts names through the
// current locale: under C.UTF-8 valid UTF-8 names are stored as UTF-8 and any other byte
// string is stored verbatim with hdrcharset=BINARY, so every name survives the round trip.
// Cheap: the locale object is created once per process (newlocale maps the locale archive).
#pragma once

#include <locale.h>

namespace offstage::archive {

class ScopedCUtf8Locale {
public:
    ScopedCUtf8Locale();
    ~ScopedCUtf8Locale();
    ScopedCUtf8Locale(const ScopedCUtf8Locale&) = delete;
    ScopedCUtf8Locale& operator=(const ScopedCUtf8Locale&) = delete;

private:
    locale_t previous_ = nullptr;
};

} // namespace offstage::archive
