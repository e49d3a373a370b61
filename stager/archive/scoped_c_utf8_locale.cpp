#include "stager/archive/scoped_c_utf8_locale.hpp"

namespace offstage::archive {

ScopedCUtf8Locale::ScopedCUtf8Locale()
    : locale_(::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr))) {
    // Without C.UTF-8 (never on Debian 12) names are still safe: libarchive falls back to
    // hdrcharset=BINARY for every non-ASCII name.
    if (locale_ != static_cast<locale_t>(nullptr)) {
        previous_ = ::uselocale(locale_);
    }
}

ScopedCUtf8Locale::~ScopedCUtf8Locale() {
    if (locale_ != static_cast<locale_t>(nullptr)) {
        ::uselocale(previous_);
        ::freelocale(locale_);
    }
}

} // namespace offstage::archive
