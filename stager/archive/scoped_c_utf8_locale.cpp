#include "stager/archive/scoped_c_utf8_locale.hpp"

namespace offstage::archive {

namespace {

// Created on first use and kept for the life of the process (a locale_t is immutable, so one
// object serves every thread).
locale_t c_utf8_locale() {
    static const locale_t locale =
        ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    return locale;
}

} // namespace

ScopedCUtf8Locale::ScopedCUtf8Locale() {
    // Without C.UTF-8 (never on Debian 12) names are still safe: libarchive falls back to
    // hdrcharset=BINARY for every non-ASCII name.
    if (locale_t locale = c_utf8_locale(); locale != static_cast<locale_t>(nullptr)) {
        previous_ = ::uselocale(locale);
    }
}

ScopedCUtf8Locale::~ScopedCUtf8Locale() {
    if (previous_ != static_cast<locale_t>(nullptr)) {
        ::uselocale(previous_);
    }
}

} // namespace offstage::archive
