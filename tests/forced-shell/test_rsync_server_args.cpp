// Unit tests of the validator (forced-shell/shell_command.cpp, rsync_server_args.cpp and the
// allow-list table): the captured real client corpus is allowed, every known bypass class is
// refused. Path checks on disk are in test_staging_root.cpp.
#include "forced-shell/refusal.hpp"
#include "forced-shell/rsync_option_table.hpp"
#include "forced-shell/shell_command.hpp"
#include "tests/forced-shell/corpus.hpp"

#include <gtest/gtest.h>
#include <set>
#include <string>

namespace offstage::forced_shell {
namespace {

const std::string pull = "rsync --server --sender -logDtpre.iLsfxCIvu ";

std::string refusal_of(std::string_view command) {
    try {
        ShellCommand::parse(command);
    } catch (const Refusal& refusal) {
        std::string why = refusal.what();
        // Never empty, one line, bounded: what the provider sees on stderr.
        EXPECT_FALSE(why.empty());
        EXPECT_EQ(why.find('\n'), std::string::npos);
        EXPECT_LT(why.size(), 400u) << why;
        return why;
    }
    return "";
}

#define EXPECT_REFUSED(command) EXPECT_NE(refusal_of(command), "") << "allowed: " << (command)

TEST(RsyncCorpus, HoldsTheCasesTheIssueNames) {
    std::set<std::string> names;
    for (const auto& c : test::load_corpus()) {
        names.insert(c.name);
    }
    for (const char* wanted : {"archive",
                               "archive-verbose",
                               "archive-compress",
                               "archive-hardlinks-acls-xattrs",
                               "archive-full-mirror",
                               "progress-partial",
                               "partial",
                               "bwlimit",
                               "timeout",
                               "checksum",
                               "dry-run",
                               "very-verbose",
                               "info-progress2",
                               "list-only",
                               "listing-without-archive",
                               "files-from-local-list",
                               "relative",
                               "compress-choice",
                               "checksum-choice",
                               "several-sources",
                               "path-with-space",
                               "protocol-29"}) {
        EXPECT_TRUE(names.count(wanted)) << wanted;
    }
}

TEST(RsyncCorpus, EveryCapturedClientCommandIsAllowed) {
    auto cases = test::load_corpus();
    ASSERT_GE(cases.size(), 40u);
    for (const auto& c : cases) {
        EXPECT_EQ(refusal_of(c.command), "") << c.name << ": " << c.client << "\n  " << c.command;
    }
}

TEST(RsyncCorpus, PathWithSpaceIsUnescaped) {
    ShellCommand command = ShellCommand::parse(pull + ". 2026-11-22/my\\ dir/");
    EXPECT_EQ(command.rsync().paths(), std::vector<std::string>{"2026-11-22/my dir/"});
}

TEST(RsyncCorpus, LeadingSlashIsRelativeToTheRoot) {
    EXPECT_EQ(ShellCommand::parse(pull + ". /2026-11-22/").rsync().paths(),
              std::vector<std::string>{"2026-11-22/"});
    EXPECT_EQ(ShellCommand::parse(pull + ". /").rsync().paths(), std::vector<std::string>{""});
    EXPECT_EQ(ShellCommand::parse(pull + ". .").rsync().paths(), std::vector<std::string>{"."});
}

TEST(RsyncCorpus, ProtocolTwentyNineClusterHasNoCapabilitySuffix) {
    EXPECT_EQ(refusal_of("rsync --server --sender -logDtpr . 2026-11-22/"), "");
}

TEST(RsyncCorpus, RelativeFlagFollowsTheLastWord) {
    EXPECT_TRUE(
        ShellCommand::parse("rsync --server --sender -rRe.iLsfxCIvu . a").rsync().relative());
    EXPECT_FALSE(ShellCommand::parse("rsync --server --sender -rRe.iLsfxCIvu --no-relative . a")
                     .rsync()
                     .relative());
    EXPECT_FALSE(ShellCommand::parse(pull + ". a").rsync().relative());
}

TEST(Backup, ExactWordIsAllowed) {
    EXPECT_EQ(ShellCommand::parse("backup").kind(), ShellCommand::Kind::backup);
}

TEST(Backup, EverySpellingButTheExactWordIsRefused) {
    for (const char* command :
         {"backup;",      "backup; id",      " backup",     "backup ",      "BACKUP",
          "Backup",       "/usr/bin/backup", "./backup",    "VAR=x backup", "env backup",
          "backup --now", "backup now",      "backup2",     "back\\up",     "\\backup",
          "backup\\ ",    "exec backup",     "sudo backup", "backup&&id",   "backup||id",
          "backup|id",    "backup&",         "backup>x",    "backup<x",     "backup`id`",
          "backup$(id)",  "backup\nid",      "backup\rid",  "backup\tid",   "nohup backup",
          "backup #"}) {
        EXPECT_REFUSED(command);
    }
}

TEST(SecludedArgs, DashSIsRefusedWithAHintToPullWithoutIt) {
    std::string why = refusal_of("rsync --server --sender -slogDtpre.iLsfxCIvu");
    EXPECT_NE(why.find("pull without -s"), std::string::npos) << why;
    why = refusal_of("rsync --server --sender -logDtpsre.iLsfxCIvu . x");
    EXPECT_NE(why.find("pull without -s"), std::string::npos) << why;
    EXPECT_REFUSED(pull + "--protect-args . x");
    EXPECT_REFUSED(pull + "--secluded-args . x");
}

TEST(RemoteShellInjection, RshInEverySpellingIsRefused) {
    for (const std::string& options :
         {std::string("--rsh=sh"), std::string("--rsh sh"), std::string("--rsh=/bin/sh\\ -c\\ id"),
          std::string("-e sh"), std::string("-esh"), std::string("-e"), std::string("--rs=sh"),
          std::string("--RSH=sh"), std::string("--rsh=\\$\\(id\\)"), std::string("-M--rsh=sh"),
          std::string("--remote-option=--rsh=sh")}) {
        EXPECT_REFUSED(pull + options + " . x");
    }
    // Inside the cluster: `e` may only start the capability suffix.
    for (const char* cluster :
         {"-vesh", "-ve", "-e", "-ve.sh\\ x", "-vezsh", "-ve3", "-ve31", "-ve.iLs.x", "-ve-1.0"}) {
        EXPECT_REFUSED(std::string("rsync --server --sender ") + cluster + " . x");
    }
}

TEST(DaemonAndConfig, AreRefused) {
    for (const char* command :
         {"rsync --daemon", "rsync --daemon --config=/tmp/x", "rsync --server --daemon .",
          "rsync --server --sender --daemon . x", "rsync --config=/tmp/r.conf --server --sender",
          "rsync --server --sender -logDtpre.iLsfxCIvu --config=/tmp/x . x",
          "rsync --server --sender -logDtpre.iLsfxCIvu --dparam=pidfile=/tmp/x . x",
          "rsync --server --sender -logDtpre.iLsfxCIvu --daemon . x"}) {
        EXPECT_REFUSED(command);
    }
}

TEST(HelperProgramInjection, OptionsThatRunOrNameProgramsAreRefused) {
    for (const char* options : {"--rsync-path=/bin/sh",
                                "--rsync-path /bin/sh",
                                "--log-file=/tmp/x",
                                "--log-file-format=%f",
                                "--write-batch=/tmp/b",
                                "--only-write-batch=/tmp/b",
                                "--read-batch=/tmp/b",
                                "--password-file=/etc/shadow",
                                "--early-input=/etc/shadow",
                                "--temp-dir=/tmp",
                                "-T/tmp",
                                "--temp-dir /tmp",
                                "--filter=merge\\ /etc/passwd",
                                "--include-from=/etc/passwd",
                                "--exclude-from=/etc/passwd",
                                "--files-from=/etc/passwd",
                                "--files-from /etc/passwd",
                                "--files-from=host:/etc/passwd",
                                "--old-args",
                                "--insecure-links",
                                "--confine-root=/",
                                "--chown=root"}) {
        EXPECT_REFUSED(pull + options + " . x");
    }
}

TEST(ShellMetacharacters, MultipleCommandsAreRefused) {
    for (const std::string& suffix :
         {std::string("; id"), std::string(";id"), std::string(" && id"), std::string(" || id"),
          std::string(" | id"), std::string(" & id"), std::string(" > /tmp/x"),
          std::string(" < /etc/passwd"), std::string(" `id`"), std::string(" $(id)"),
          std::string(" ${IFS}id"), std::string("\nid"), std::string("\r\nid"),
          std::string(" # comment"), std::string(" !!"), std::string(" {a,b}"),
          std::string(" (id)"), std::string(" 'x'"), std::string(" \"x\"")}) {
        EXPECT_REFUSED(pull + ". 2026-11-22/" + suffix);
    }
}

TEST(EnvironmentPrefix, VariableAssignmentsAndEnvAreRefused) {
    for (const std::string& prefix :
         {std::string("LD_PRELOAD=/tmp/x.so "), std::string("PATH=/tmp "),
          std::string("RSYNC_RSH=sh "), std::string("env "), std::string("env -i "),
          std::string("BASH_ENV=/tmp/x "), std::string("POPT_OPTIONS=x "), std::string("exec "),
          std::string("command "), std::string("nice "), std::string("sudo ")}) {
        EXPECT_REFUSED(prefix + pull + ". 2026-11-22/");
    }
}

TEST(BinaryNameGames, OnlyTheBareWordRsyncIsAccepted) {
    for (const std::string& name :
         {std::string("/usr/bin/rsync"), std::string("./rsync"), std::string("RSYNC"),
          std::string("Rsync"), std::string("rsync3"), std::string("r\\sync"),
          std::string("\\rsync"), std::string("rsync.exe"), std::string("rrsync"),
          std::string("openrsync"), std::string("rsync\\ "), std::string("/tmp/rsync"),
          std::string("~/rsync"), std::string("../rsync")}) {
        EXPECT_REFUSED(name + " --server --sender -logDtpre.iLsfxCIvu . 2026-11-22/");
    }
    EXPECT_REFUSED("rsync \\--server --sender -logDtpre.iLsfxCIvu . x");
    EXPECT_REFUSED("rsync --server \\--sender -logDtpre.iLsfxCIvu . x");
    EXPECT_REFUSED("rsync --server --sender -logDtpre.iLsfxCIvu \\. x");
}

TEST(PathTraversal, DotDotInEverySpellingIsRefused) {
    for (const char* path :
         {"..", "../", "../etc", "/..", "/../etc/passwd", "2026-11-22/..", "2026-11-22/../..",
          "2026-11-22/../../etc", "./..", "//..//etc", "a/b/../../..", "\\.\\.", "\\.\\./etc",
          "2026-11-22/./../x", "../../../../../../etc/shadow", "../staging-evil/"}) {
        std::string why = refusal_of(pull + ". " + path);
        EXPECT_NE(why.find(".."), std::string::npos) << path << ": " << why;
    }
    // ".." as the second of several paths, and under -R.
    EXPECT_REFUSED(pull + ". 2026-11-22/ ../etc");
    EXPECT_REFUSED("rsync --server --sender -logDtprRe.iLsfxCIvu . 2026-11-22/./../../etc");
}

TEST(HiddenWorkDir, IncomingIsNeverServed) {
    for (const char* path :
         {".incoming-2026-11-23-abcd", ".incoming-2026-11-23-abcd/", "/.incoming-x/files",
          "./.incoming-x", ".incoming", ".incoming-", "2026-11-22/.incoming-x", "\\.incoming-x"}) {
        std::string why = refusal_of(pull + ". " + path);
        EXPECT_NE(why.find(".incoming"), std::string::npos) << path << ": " << why;
    }
}

TEST(UploadReceiverMode, IsRefused) {
    for (const char* command :
         {"rsync --server -logDtpre.iLsfxCIvu . /tmp", "rsync --server . x",
          "rsync --server -logDtpre.iLsfxCIvu . 2026-11-22/",
          "rsync --sender --server -logDtpre.iLsfxCIvu . x", "rsync --server --receiver . x",
          "rsync --server -logDtpre.iLsfxCIvu --sender . x", "rsync --server",
          "rsync --server --server --sender -l . x", "rsync -logDtpre.iLsfxCIvu . x",
          "rsync --server --sender --sender -l . x"}) {
        EXPECT_REFUSED(command);
    }
    EXPECT_NE(refusal_of("rsync --server -logDtpre.iLsfxCIvu . /tmp").find("upload"),
              std::string::npos);
}

TEST(RefusedOptions, EveryOptionTheIssueListsIsRefused) {
    for (const char* option : {"--files-from=/etc/passwd",
                               "--include-from=x",
                               "--exclude-from=x",
                               "--log-file=x",
                               "--write-batch=x",
                               "--only-write-batch=x",
                               "--read-batch=x",
                               "--password-file=x",
                               "--config=x",
                               "--temp-dir=x",
                               "--partial-dir=x",
                               "--compare-dest=x",
                               "--copy-dest=x",
                               "--link-dest=x",
                               "--copy-links",
                               "--copy-unsafe-links",
                               "--copy-dirlinks",
                               "--keep-dirlinks",
                               "--no-munge-links",
                               "--copy-devices",
                               "--write-devices",
                               "--remove-source-files",
                               "--remove-sent-files",
                               "--delete-missing-args",
                               "--rsh=x",
                               "--rsync-path=x",
                               "--daemon",
                               "--debug=ALL",
                               "--debug=FLIST2",
                               "--fake-super",
                               "--usermap=0:1",
                               "--groupmap=0:1",
                               "--super",
                               "--delete",
                               "--mkpath"}) {
        EXPECT_REFUSED(pull + option + " . 2026-11-22/");
    }
    // The same options in the split "--opt VALUE" form.
    for (const char* option : {"--copy-dest x", "--partial-dir x", "--temp-dir x",
                               "--compare-dest x", "--link-dest x", "--files-from x"}) {
        EXPECT_REFUSED(pull + option + " . 2026-11-22/");
    }
}

// A pull that keeps the client's old copies (rsync -b, --backup-dir=DIR, --suffix=SUF). Only
// rsync's receiver makes backups (main.c do_recv(), backup.c): the sender only stores the
// values, so the directory is the client's path, never checked against the staging root, and
// is handed on as one --backup-dir=VALUE word, whatever it looks like.
TEST(BackupOptions, ClientSideBackupsAreAllowed) {
    ShellCommand command = ShellCommand::parse(
        "rsync --server --sender -blogDtpre.iLsfxCIvu --backup-dir ../old --suffix=.old . "
        "2026-11-22/");
    EXPECT_EQ(command.rsync().options(),
              (std::vector<std::string>{"--backup-dir=../old", "--suffix=.old"}));
    EXPECT_EQ(command.rsync().paths(), std::vector<std::string>{"2026-11-22/"});
    EXPECT_EQ(refusal_of("rsync --server --sender -blogDtpre.iLsfxCIvu --backup-dir=old . x"), "");
}

TEST(BackupOptions, AHostileBackupDirStaysOneHarmlessWord) {
    // Each value arrives as the word after --backup-dir (rsync's split form) and leaves as part
    // of one --backup-dir=VALUE word: never an option, a path or a second --confine-root.
    for (const auto& [sent, value] : std::vector<std::pair<std::string, std::string>>{
             {"/etc", "/etc"},
             {"../../../..", "../../../.."},
             {".incoming-2026-11-23-abcd", ".incoming-2026-11-23-abcd"},
             {"-x", "-x"},
             {"--", "--"},
             {"--confine-root=/", "--confine-root=/"},
             {"--rsh=sh", "--rsh=sh"},
             {"/proc/self/fd/3", "/proc/self/fd/3"},
             {"\\$\\(id\\)\\;\\ x", "$(id); x"},
             {"caf\xe9", "caf\xe9"}}) {
        SCOPED_TRACE(sent);
        ShellCommand command =
            ShellCommand::parse(pull + "--backup-dir " + sent + " --suffix=~ . 2026-11-22/");
        EXPECT_EQ(command.rsync().options(),
                  (std::vector<std::string>{"--backup-dir=" + value, "--suffix=~"}));
        EXPECT_EQ(command.rsync().paths(), std::vector<std::string>{"2026-11-22/"});
    }
}

TEST(BackupOptions, ValuesRsyncWouldRefuseAreRefusedFirst) {
    for (const std::string& option :
         {std::string("--backup-dir="), std::string("--suffix="), std::string("--suffix=a/b"),
          std::string("--suffix=/"), "--backup-dir=" + std::string(3969, 'd'),
          "--suffix=" + std::string(256, 's')}) {
        EXPECT_NE(refusal_of(pull + option + " . x").find("does not match"), std::string::npos)
            << option.substr(0, 40);
    }
    EXPECT_REFUSED(pull + "--backup-dir");
    EXPECT_EQ(refusal_of(pull + "--backup-dir=" + std::string(3968, 'd') + " . x"), "");
    // The splitter refuses control bytes before any row sees them; the rows refuse them too.
    for (const char* name : {"backup-dir", "suffix"}) {
        const RsyncOption* row = RsyncOptionTable::find_long(name);
        ASSERT_TRUE(row != nullptr && row->accepts != nullptr) << name;
        EXPECT_TRUE(row->accepts(".old [1] ~$x\xe9")) << name;
        EXPECT_FALSE(row->accepts("a\nb")) << name;
        EXPECT_FALSE(row->accepts(std::string("a\0b", 3))) << name;
        EXPECT_FALSE(row->accepts("a\x7f")) << name;
    }
}

TEST(RefusedOptions, FollowingAndReceiverLettersInTheClusterAreRefused) {
    for (const char* cluster :
         {"-Llogr", "-lkr", "-lKr", "-vsr", "-rLe.iLsfxCIvu", "-rke.iLsfxCIvu", "-rKe.iLsfxCIvu",
          "-rTe.iLsfxCIvu", "-rB8192", "-r@1", "-rMx", "-rhe.i", "-rPe.i", "-rae.i"}) {
        EXPECT_REFUSED(std::string("rsync --server --sender ") + cluster + " . x");
    }
}

TEST(RefusedOptions, AbbreviationsAreRefused) {
    for (const char* option : {"--list", "--list-o", "--time=5", "--bwlim=5", "--numeric",
                               "--compress-l=9", "--info", "--no-relativ", "--files=-"}) {
        EXPECT_REFUSED(pull + option + " . x");
    }
}

TEST(OptionValues, StrictPatternsRefuseInjectedValues) {
    for (const char* option : {"--bwlimit=1\\;id",
                               "--bwlimit=-1",
                               "--bwlimit=1k",
                               "--bwlimit=",
                               "--timeout=1e9",
                               "--timeout=99999999999",
                               "--info=progress2,../x",
                               "--info=a/b",
                               "--info=",
                               "--compress-choice=../../x",
                               "--compress-choice=ZSTD",
                               "--checksum-choice=a,b,c",
                               "--iconv=x\\ y",
                               "--iconv=-x",
                               "--skip-compress=*.gz",
                               "--skip-compress=gz\\[a\\]",
                               "--max-alloc=1T",
                               "--files-from=--",
                               "--files-from=-x",
                               "--compress-level=9x",
                               "--numeric-ids=1",
                               "--list-only=yes",
                               "-B",
                               "-B-1",
                               "-Bx"}) {
        EXPECT_REFUSED(pull + option + " . x");
    }
    // Missing value at the end of the options.
    EXPECT_REFUSED(pull + "--bwlimit");
}

TEST(MalformedInput, IsRefused) {
    for (const std::string& command : {std::string("rsync"),
                                       std::string("rsync --server --sender"),
                                       std::string("rsync --server --sender -logDtpre.iLsfxCIvu"),
                                       std::string("rsync --server --sender -logDtpre.iLsfxCIvu ."),
                                       std::string("rsync --server --sender -logDtpre.iLsfxCIvu x"),
                                       std::string("rsync --server --sender . x"),
                                       std::string("rsync --server --sender - . x"),
                                       std::string("rsync --server --sender -- . x"),
                                       std::string("rsync --server --sender -l -v . x"),
                                       std::string("rsync --server --sender -l --list-only -v . x"),
                                       std::string("rsync --server --sender -l x . y"),
                                       std::string("backup backup"),
                                       std::string("."),
                                       std::string("-"),
                                       std::string("--server"),
                                       std::string("\\"),
                                       std::string("true"),
                                       std::string("id"),
                                       std::string("sh"),
                                       std::string("scp -f x"),
                                       std::string("sftp-server"),
                                       std::string("internal-sftp"),
                                       std::string("git-upload-pack x"),
                                       std::string("cat /etc/passwd"),
                                       std::string("rsync --server . /tmp")}) {
        EXPECT_REFUSED(command);
    }
}

TEST(OversizedInput, IsRefusedWithoutEchoingIt) {
    std::string long_path(5000, 'a');
    std::string why = refusal_of(pull + ". " + long_path);
    EXPECT_NE(why.find("4096"), std::string::npos);
    std::string many = pull + ".";
    for (int i = 0; i < 300; ++i) {
        many += " a";
    }
    EXPECT_NE(refusal_of(many).find("paths"), std::string::npos);
    // A refused option's name is capped in the message.
    why = refusal_of(pull + "--" + std::string(1000, 'x') + " . a");
    EXPECT_LT(why.size(), 200u);
}

TEST(FilesFrom, OnlyStdinAndNeverAgainstTheRoot) {
    EXPECT_EQ(refusal_of("rsync --server --sender -logDtpRe.LsfxCIvu --files-from=- --from0 . "
                         "2026-11-22/"),
              "");
    EXPECT_EQ(refusal_of("rsync --server --sender -logDtpRe.LsfxCIvu --files-from - --from0 . "
                         "2026-11-22/"),
              "");
    for (const char* root : {"/", ".", "", "./", "/./", "//"}) {
        std::string command =
            std::string("rsync --server --sender -logDtpRe.LsfxCIvu --files-from=- --from0 . ") +
            root;
        if (std::string(root).empty()) {
            continue; // an empty last word is refused by the splitter already
        }
        EXPECT_NE(refusal_of(command).find("files-from"), std::string::npos) << root;
    }
}

TEST(OptionTable, EveryRowIsWellFormed) {
    std::set<std::string> long_names;
    std::set<char> letters;
    for (const RsyncOption& row : RsyncOptionTable::rows()) {
        EXPECT_FALSE(row.why.empty()) << row.long_name;
        EXPECT_TRUE(row.letter != 0 || !row.long_name.empty());
        if (!row.long_name.empty()) {
            EXPECT_TRUE(long_names.insert(std::string(row.long_name)).second) << row.long_name;
        }
        if (row.letter != 0) {
            EXPECT_TRUE(letters.insert(row.letter).second) << row.letter;
        }
        if (row.verdict == RsyncOption::Verdict::allowed && row.takes_value) {
            EXPECT_NE(row.accepts, nullptr) << row.long_name;
            EXPECT_FALSE(row.pattern.empty()) << row.long_name;
        }
    }
}

TEST(OptionTable, CapturedValuesMatchTheirPatterns) {
    EXPECT_TRUE(RsyncOptionTable::find_long("bwlimit")->accepts("5120"));
    EXPECT_TRUE(RsyncOptionTable::find_long("info")->accepts("STATS2"));
    EXPECT_TRUE(RsyncOptionTable::find_long("info")->accepts("progress2,STATS2,flist0"));
    EXPECT_TRUE(RsyncOptionTable::find_long("checksum-choice")->accepts("xxh128"));
    EXPECT_TRUE(RsyncOptionTable::find_long("checksum-choice")->accepts("md5,md4"));
    EXPECT_TRUE(RsyncOptionTable::find_long("iconv")->accepts("latin1"));
    EXPECT_TRUE(RsyncOptionTable::find_long("iconv")->accepts("."));
    EXPECT_TRUE(RsyncOptionTable::find_long("skip-compress")->accepts("gz/zst/age"));
    EXPECT_TRUE(RsyncOptionTable::find_long("compress-level")->accepts("-5"));
    EXPECT_TRUE(RsyncOptionTable::find_letter('B')->accepts("8192"));
    EXPECT_EQ(RsyncOptionTable::find_long("list"), nullptr);
}

} // namespace
} // namespace offstage::forced_shell
