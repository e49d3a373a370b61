#include "tests/databases/mariadb_fixture.hpp"

#include "platform/child_process.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace offstage::test {

const char* const mariadb_seed_sql = R"sql(
CREATE DATABASE shop CHARACTER SET utf8mb4;
CREATE TABLE shop.items (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100), price DECIMAL(10,2),
    note TEXT NULL) ENGINE=InnoDB;
INSERT INTO shop.items (name, price, note) VALUES ('pâté', 3.50, NULL), ('日本語のテキスト', 12.00, 'kanji'),
    ('Ελληνικά', 1.25, 'greek'), ('русский текст', 7.00, 'NULL'), ('עברית', 2.00, ''),
    ('العربية', 5.55, 'arabic'), ('हिन्दी', 0.10, 'devanagari'), ('emoji 🎉🚀', 9.99, 'astral'),
    ('tab	and
newline and \\ backslash', 1.00, 'control');
CREATE TABLE shop.blobs (id INT PRIMARY KEY, data LONGBLOB) ENGINE=InnoDB;
INSERT INTO shop.blobs VALUES (1, UNHEX(CONCAT(
    '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
    '202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F',
    '404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F',
    '606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F',
    '808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F',
    'A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF',
    'C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF',
    'E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF'))),
    (2, UNHEX('00')), (3, ''), (4, NULL);
CREATE TABLE shop.legacy (id INT, label VARCHAR(20)) ENGINE=MyISAM;
INSERT INTO shop.legacy VALUES (1, 'old'), (2, 'older');
CREATE TABLE shop.audit (id INT PRIMARY KEY AUTO_INCREMENT, item INT, at_name VARCHAR(100)) ENGINE=InnoDB;
CREATE PROCEDURE shop.count_items(IN minimum DECIMAL(10,2), OUT total INT)
    SELECT COUNT(*) INTO total FROM shop.items WHERE price >= minimum;
CREATE TRIGGER shop.items_audit AFTER INSERT ON shop.items FOR EACH ROW
    INSERT INTO shop.audit (item, at_name) VALUES (NEW.id, NEW.name);
CREATE EVENT shop.purge_legacy ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM shop.legacy;
CREATE VIEW shop.a_cheap_items AS SELECT id, name FROM shop.items WHERE price < 5;
CREATE DATABASE wiki CHARACTER SET utf8mb4;
CREATE TABLE wiki.pages (id INT PRIMARY KEY AUTO_INCREMENT, title VARCHAR(200), body MEDIUMTEXT) ENGINE=InnoDB;
INSERT INTO wiki.pages (title, body) VALUES ('Main Page', REPEAT('wiki text ', 2000)), ('Ünïcödé', 'ü');
CREATE TABLE wiki.counter (id INT PRIMARY KEY, n BIGINT) ENGINE=InnoDB;
INSERT INTO wiki.counter VALUES (1, 0);
CREATE USER 'app'@'localhost' IDENTIFIED BY 'app-secret';
GRANT SELECT, INSERT, UPDATE ON shop.* TO 'app'@'localhost';
GRANT SELECT (id, title) ON wiki.pages TO 'app'@'localhost';
GRANT EXECUTE ON PROCEDURE shop.count_items TO 'app'@'localhost';
CREATE ROLE reader;
GRANT SELECT ON wiki.* TO reader;
GRANT reader TO 'app'@'localhost';
)sql";

drill::MariadbServer* SeededMariadb::shared(std::string& why) {
    static std::unique_ptr<drill::MariadbServer> server;
    static std::string failure;
    static bool tried = false;
    if (!tried) {
        tried = true;
        if (!installed()) {
            failure = "mariadbd is not installed (apt-get install mariadb-server)";
        } else {
            try {
                server = std::make_unique<drill::MariadbServer>();
                server->root_client().query(mariadb_seed_sql, std::chrono::seconds(60));
            } catch (const std::exception& error) {
                failure = error.what();
                server.reset();
            }
        }
        // Stopped at exit even when a test failed.
        std::atexit([] { server.reset(); });
    }
    why = failure;
    return server.get();
}

bool SeededMariadb::installed() {
    return std::filesystem::exists("/usr/sbin/mariadbd");
}

std::string SeededMariadb::sql(const drill::MariadbServer& server, const std::string& statements) {
    std::string out;
    try {
        for (const auto& row : server.root_client().query(statements, std::chrono::seconds(120))) {
            for (std::size_t i = 0; i < row.size(); ++i) {
                out += (i ? "\t" : "") + row[i];
            }
            out += "\n";
        }
    } catch (const std::exception& error) {
        ADD_FAILURE() << error.what();
    }
    return out;
}

} // namespace offstage::test
