// The captured rsync client corpus (rsync-client-corpus.txt, see capture-corpus.sh) as data.
#pragma once

#include "tests/support/temp_dir.hpp"

#include <string>
#include <vector>

namespace offstage::forced_shell::test {

struct CorpusCase {
    std::string name;    // from the "# NAME: client command" line
    std::string client;  // the client command
    std::string command; // what sshd hands the forced command
};

inline std::vector<CorpusCase> load_corpus() {
    std::string text = offstage::test::read_file(OFFSTAGE_SOURCE_DIR
                                                 "/tests/forced-shell/rsync-client-corpus.txt");
    std::vector<CorpusCase> cases;
    std::size_t position = 0;
    std::string pending_name, pending_client;
    while (position < text.size()) {
        std::size_t end = text.find('\n', position);
        if (end == std::string::npos) {
            end = text.size();
        }
        std::string line = text.substr(position, end - position);
        position = end + 1;
        if (line.rfind("# ", 0) == 0) {
            std::size_t colon = line.find(": rsync ");
            if (colon != std::string::npos) {
                pending_name = line.substr(2, colon - 2);
                pending_client = line.substr(colon + 2);
            }
        } else if (!line.empty()) {
            cases.push_back({pending_name, pending_client, line});
        }
    }
    return cases;
}

} // namespace offstage::forced_shell::test
