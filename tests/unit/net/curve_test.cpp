#include "shardkit/net/curve.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../temp_dir.h"

using shardkit::Code;
using shardkit::Status;
using namespace shardkit::net;

namespace {

// A private temporary directory, removed with everything in it.
using testutil::TempDir;

void WriteText(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::ofstream(path) << text;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Restores the process umask on scope exit.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

}  // namespace

TEST_CASE("a written keypair reads back, with a private secret file", "[net][curve]") {
  TempDir dir;
  auto keys = GenerateKeypair();
  REQUIRE(keys.ok());
  CHECK(IsZ85Key(keys->public_z85));
  CHECK(IsZ85Key(keys->secret_z85));
  CHECK(keys->public_z85 != keys->secret_z85);

  {
    ScopedUmask umask(022);
    REQUIRE(WriteKeypair(dir / "node", *keys).ok());
  }
  CHECK(ModeOf(dir / "node.secret") == 0600);
  CHECK(ModeOf(dir / "node.key") == 0644);

  auto secret = ReadSecretFile(dir / "node.secret");
  REQUIRE(secret.ok());
  CHECK(secret->public_z85 == keys->public_z85);
  CHECK(secret->secret_z85 == keys->secret_z85);
  auto pub = ReadPublicKey(dir / "node.key");
  REQUIRE(pub.ok());
  CHECK(*pub == keys->public_z85);

  // Never overwrite a key, and leave the existing pair intact.
  const Status again = WriteKeypair(dir / "node", *GenerateKeypair());
  CHECK(again.code() == Code::kIoError);
  CHECK_THAT(again.message(), Catch::Contains("node.secret: file exists"));
  CHECK(ReadSecretFile(dir / "node.secret")->secret_z85 == keys->secret_z85);
}

TEST_CASE("the secret file is created private, not chmod'ed later", "[net][curve]") {
  // With a umask that would leave a 0644 file world-readable, the secret is
  // still 0600: its mode comes from open(O_CREAT, 0600), so there is never a
  // moment when others could open it.
  TempDir dir;
  ScopedUmask umask(0);
  REQUIRE(WriteKeypair(dir / "n", *GenerateKeypair()).ok());
  CHECK(ModeOf(dir / "n.secret") == 0600);
}

TEST_CASE("a failed public key write leaves no half keypair", "[net][curve]") {
  TempDir dir;
  WriteText(dir / "n.key", "occupied\n");
  const Status s = WriteKeypair(dir / "n", *GenerateKeypair());
  CHECK(s.code() == Code::kIoError);
  CHECK_FALSE(std::filesystem::exists(dir / "n.secret"));
}

TEST_CASE("malformed key files are rejected with file:line", "[net][curve]") {
  TempDir dir;
  const Keypair keys = *GenerateKeypair();
  const Keypair other = *GenerateKeypair();
  struct Case {
    std::string content;
    std::string message;  // after "<path>"
  };
  const Case cases[] = {
      {"", ": no 'secret' line"},
      {"public " + keys.public_z85 + "\n", ": no 'secret' line"},
      {"secret " + keys.secret_z85 + "\n", ": no 'public' line"},
      {"# comment\n\npublic " + keys.public_z85 + "\nsecret tooshort\n",
       ":4: invalid secret key (expected 40 z85 characters)"},
      {"public " + keys.public_z85 + "\nsecret " + keys.secret_z85 + "\nsecret " + keys.secret_z85 +
           "\n",
       ":3: duplicate 'secret' line (first on line 2)"},
      {"private " + keys.secret_z85 + "\n",
       ":1: expected 'public <z85>' or 'secret <z85>', got 'private'"},
      {"public " + other.public_z85 + "\nsecret " + keys.secret_z85 + "\n",
       ":1: public key does not match the secret key"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string path = dir / ("bad" + std::to_string(n++) + ".secret");
    WriteText(path, c.content, 0600);
    INFO(c.content);
    auto r = ReadSecretFile(path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kDataError);
    CHECK(r.status().message() == path + c.message);
    // A secret must never be echoed in an error.
    CHECK(r.status().message().find(keys.secret_z85) == std::string::npos);
  }
}

TEST_CASE("a secret file others can read is refused", "[net][curve]") {
  TempDir dir;
  const Keypair keys = *GenerateKeypair();
  const std::string path = dir / "open.secret";
  WriteText(path, "public " + keys.public_z85 + "\nsecret " + keys.secret_z85 + "\n", 0640);
  auto r = ReadSecretFile(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kPermission);
  CHECK(r.status().message() == path +
                                    " is accessible by group or others (mode 0640); run chmod "
                                    "600 " +
                                    path);

  auto missing = ReadSecretFile(dir / "nope.secret");
  CHECK(missing.status().code() == Code::kNoInput);
  CHECK(missing.status().message() ==
        "cannot open " + (dir / "nope.secret") + ": No such file or directory");
}

TEST_CASE("public key files hold exactly one key", "[net][curve]") {
  TempDir dir;
  const Keypair a = *GenerateKeypair();
  const Keypair b = *GenerateKeypair();
  WriteText(dir / "ok.key", "# laptop\n" + a.public_z85 + "  # alice\n");
  CHECK(*ReadPublicKey(dir / "ok.key") == a.public_z85);

  WriteText(dir / "two.key", a.public_z85 + "\n" + b.public_z85 + "\n");
  CHECK(ReadPublicKey(dir / "two.key").status().message() ==
        dir / "two.key" + ":2: more than one key (a .key file holds one public key)");
  WriteText(dir / "none.key", "# nothing\n");
  CHECK(ReadPublicKey(dir / "none.key").status().message() == dir / "none.key" + ": no public key");
  WriteText(dir / "secret.key", "public " + a.public_z85 + "\n");
  CHECK(ReadPublicKey(dir / "secret.key").status().message() ==
        dir / "secret.key" + ":1: this looks like a NAME.secret file; give the NAME.key file");
}

TEST_CASE("allow lists read from a file or a directory of .key files", "[net][curve]") {
  TempDir dir;
  const Keypair a = *GenerateKeypair();
  const Keypair b = *GenerateKeypair();

  WriteText(dir / "allow", "# clients\n\n" + a.public_z85 + "\n  " + b.public_z85 + " # bob\n");
  auto keys = LoadAllowList(dir / "allow");
  REQUIRE(keys.ok());
  CHECK(*keys == std::vector<std::string>{a.public_z85, b.public_z85});

  WriteText(dir / "bad", a.public_z85 + "\n\nnot-a-key\n");
  auto bad = LoadAllowList(dir / "bad");
  CHECK(bad.status().code() == Code::kDataError);
  CHECK(bad.status().message() ==
        dir / "bad" + ":3: invalid key 'not-a-key': 9 characters, expected 40 z85 characters");

  std::string forty(40, 'a');
  forty[10] = '~';  // not in the z85 alphabet
  WriteText(dir / "bad2", forty + "\n");
  CHECK(LoadAllowList(dir / "bad2").status().message() ==
        dir / "bad2" + ":1: invalid key '" + forty + "': not a z85 CURVE key");

  WriteText(dir / "bad3", a.public_z85 + " extra\n");
  CHECK(LoadAllowList(dir / "bad3").status().message() ==
        dir / "bad3" + ":1: unexpected text after key: 'extra'");

  WriteText(dir / "empty", "# nobody\n");
  CHECK(LoadAllowList(dir / "empty").status().message() ==
        dir / "empty" + ": no keys (an empty allow list would refuse every client)");

  // Directory form: only *.key files, in name order; secrets are not read.
  const std::string keydir = dir / "clients";
  std::filesystem::create_directory(keydir);
  WriteText(keydir + "/b.key", b.public_z85 + "\n");
  WriteText(keydir + "/a.key", a.public_z85 + "\n");
  WriteText(keydir + "/a.secret", "garbage that would not parse\n", 0600);
  WriteText(keydir + "/README", "not a key\n");
  auto from_dir = LoadAllowList(keydir);
  REQUIRE(from_dir.ok());
  CHECK(*from_dir == std::vector<std::string>{a.public_z85, b.public_z85});

  WriteText(keydir + "/c.key", "nonsense\n");
  CHECK(LoadAllowList(keydir).status().message() ==
        keydir + "/c.key:1: invalid key 'nonsense': 8 characters, expected 40 z85 characters");

  const std::string emptydir = dir / "none";
  std::filesystem::create_directory(emptydir);
  CHECK(LoadAllowList(emptydir).status().message() == emptydir + ": no *.key files in directory");
}

TEST_CASE("no key starts with '#', so '#' lines are comments", "[net][curve]") {
  // '#' is a z85 digit worth 84; a key's first digit is at most 82, or the
  // first 4 bytes would overflow. So "#..." is never a key.
  std::string hash_first = GenerateKeypair()->public_z85;
  hash_first[0] = '#';
  CHECK_FALSE(IsZ85Key(hash_first));
  for (int i = 0; i < 1000; ++i) REQUIRE(GenerateKeypair()->public_z85[0] != '#');

  TempDir dir;
  const Keypair k = *GenerateKeypair();
  WriteText(dir / "allow", hash_first + "\n#" + k.public_z85 + "\n" + k.public_z85 + "\n");
  auto keys = LoadAllowList(dir / "allow");
  REQUIRE(keys.ok());
  CHECK(*keys == std::vector<std::string>{k.public_z85});
}
