// The static status page (docs/status-page.md): one HTML5 file, plots drawn as inline SVG, no
// script, no external resource, one <style> element allowed by its hash in the page's own
// Content-Security-Policy (default-src 'none'), so it works opened from disk and behind a
// strict CSP header. Every text from outside (host, days, source names, directories, problem
// texts) is made printable and HTML-escaped; host file names appear only with show_names.
#pragma once

#include "stager/status/status_snapshot.hpp"

#include <string>

namespace offstage::status {

// The page's stylesheet and its CSP source expression ("'sha256-BASE64'"), for the header a
// web server may send (docs/status-page.md).
const std::string& page_stylesheet();
std::string page_style_hash();

// The page's Content-Security-Policy, as its <meta> element states it.
std::string page_content_security_policy();

std::string render_page(const StatusSnapshot& snapshot);

} // namespace offstage::status
