// The transaction-script parser: the format, escapes, streaming, limits and
// many ways to get it wrong.
#include "shardkit/txn/script.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <streambuf>

using namespace shardkit;
using namespace shardkit::txn;
using wire::Op;
using wire::OpKind;

namespace {

// Parses `text` to the end: each transaction's ops, or "ERR <message>".
std::vector<std::string> ParseAll(const std::string& text, ScriptLimits limits = {}) {
  std::istringstream in(text);
  ScriptReader reader(in, limits);
  std::vector<std::string> out;
  ScriptTxn txn;
  for (int guard = 0; guard < 100; ++guard) {
    Result<bool> r = reader.Next(&txn);
    if (!r.ok()) {
      CHECK(r.status().code() == Code::kDataError);
      out.push_back("ERR " + r.status().message());
      continue;
    }
    if (!*r) return out;
    std::string s;
    for (const Op& op : txn.ops) {
      static const char* kNames[] = {"?", "put", "del", "get", "eq", "absent"};
      s += std::string(kNames[static_cast<int>(op.kind)]) + "(" + op.key +
           (op.value.empty() ? "" : "=" + op.value) + ")";
    }
    out.push_back(s);
  }
  FAIL("reader did not stop");
  return out;
}

std::string Error(const std::string& text) {
  auto all = ParseAll(text);
  REQUIRE(!all.empty());
  return all[0];
}

}  // namespace

TEST_CASE("every op, both terminators, and the end of input", "[txn][script]") {
  CHECK(ParseAll("put a 1\nput b 2\n\nget a\ndel b\ncommit\ncheck a = 1\ncheck b absent\n") ==
        std::vector<std::string>{"put(a=1)put(b=2)", "get(a)del(b)", "eq(a=1)absent(b)"});
  CHECK(ParseAll("") == std::vector<std::string>{});
  CHECK(ParseAll("\n\ncommit\n\n") == std::vector<std::string>{});     // empty transactions vanish
  CHECK(ParseAll("put a 1") == std::vector<std::string>{"put(a=1)"});  // no final newline
}

TEST_CASE("blanks, tabs, CRLF and comments", "[txn][script]") {
  CHECK(ParseAll("  put\t a \t 1  \r\n# a comment\n  \t \r\nget a\r\n") ==
        std::vector<std::string>{"put(a=1)", "get(a)"});
  CHECK(ParseAll("put a 1\n# comments do not end a transaction\nput b 2\n") ==
        std::vector<std::string>{"put(a=1)put(b=2)"});
}

TEST_CASE("first line numbers", "[txn][script]") {
  std::istringstream in("\n\nput a 1\nput b 2\n\n# c\nget x\n");
  ScriptReader r(in);
  ScriptTxn t;
  REQUIRE(*r.Next(&t));
  CHECK(t.first_line == 3);
  REQUIRE(*r.Next(&t));
  CHECK(t.first_line == 7);
  CHECK_FALSE(*r.Next(&t));
}

TEST_CASE("escapes decode and round-trip", "[txn][script]") {
  std::istringstream in("put k\\s1 a\\tb\\nc\\\\d\\x00\\xFf\\x20\\r\nput e \"\"\n");
  ScriptReader r(in);
  ScriptTxn t;
  REQUIRE(*r.Next(&t));
  REQUIRE(t.ops.size() == 2);
  CHECK(t.ops[0].key == "k 1");
  CHECK(t.ops[0].value == std::string("a\tb\nc\\d\0\xff \r", 11));
  CHECK(t.ops[1].value.empty());
  for (const std::string& s : {std::string("plain"), std::string(""), std::string("\"\""),
                               std::string("sp ace\t\n\r\\\x01\x7f\x80\xff", 14)}) {
    const std::string e = EscapeField(s);
    CHECK(e.find_first_of(" \t\n") == std::string::npos);
    CHECK(*UnescapeField(e) == s);
  }
  CHECK(EscapeField("\"\"") == "\\x22\\x22");
  CHECK(*UnescapeField("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 passes through
}

TEST_CASE("malformed lines report 'line N: message'", "[txn][script]") {
  CHECK(Error("put a\n") == "ERR line 1: put takes 2 fields, got 1");
  CHECK(Error("put a 1 2\n") == "ERR line 1: put takes 2 fields, got 3");
  CHECK(Error("\n\ndel\n") == "ERR line 3: del takes 1 field, got 0");
  CHECK(Error("get a b\n") == "ERR line 1: get takes 1 field, got 2");
  CHECK(Error("check a\n") == "ERR line 1: check needs 'K = V' or 'K absent'");
  CHECK(Error("check a == 1\n") == "ERR line 1: check needs 'K = V' or 'K absent'");
  CHECK(Error("check a present\n") == "ERR line 1: check needs 'K = V' or 'K absent'");
  CHECK(Error("check a absent x\n") == "ERR line 1: check needs 'K = V' or 'K absent'");
  CHECK(Error("PUT a 1\n") ==
        "ERR line 1: unknown op 'PUT' (expected put, del, get, check or commit)");
  CHECK(Error("commit now\n") == "ERR line 1: commit takes no arguments");
  CHECK(Error("put \"\" 1\n") == "ERR line 1: empty key");
  CHECK(Error("put a\\q 1\n") ==
        "ERR line 1: key: bad escape '\\q' (use \\t \\n \\r \\s \\\\ or \\xHH)");
  CHECK(Error("put a \\x4\n") == "ERR line 1: value: \\x needs two hex digits");
  CHECK(Error("put a \\xZZ\n") == "ERR line 1: value: \\x needs two hex digits");
  CHECK(Error("put a b\\\n") == "ERR line 1: value: field ends with a lone backslash");
  CHECK(Error("get \\x01\\\n") == "ERR line 1: key: field ends with a lone backslash");
  CHECK(Error(std::string("put a\x01\\\x02 1\n")) ==
        "ERR line 1: key: bad escape '\\\\x02' (use \\t \\n \\r \\s \\\\ or \\xHH)");
}

TEST_CASE("after an error the rest of that transaction is skipped", "[txn][script]") {
  CHECK(ParseAll("put a 1\nbogus\nput b 2\n\nput c 3\n") ==
        std::vector<std::string>{"ERR line 2: unknown op 'bogus' (expected put, del, get, check "
                                 "or commit)",
                                 "put(c=3)"});
  // A malformed `commit` still ends the transaction.
  CHECK(ParseAll("put a 1\ncommit x\nput b 2\n") ==
        std::vector<std::string>{"ERR line 2: commit takes no arguments", "put(b=2)"});
  // An error on the last line: nothing more.
  CHECK(ParseAll("put a 1\nput\n") ==
        std::vector<std::string>{"ERR line 2: put takes 2 fields, got 0"});
}

TEST_CASE("limits on key, value, ops, transaction and line size", "[txn][script]") {
  ScriptLimits small{4, 8, 3, 20};
  CHECK(ParseAll("put abcde 1\n", small)[0] == "ERR line 1: key is 5 bytes, limit 4");
  CHECK(ParseAll("put a 123456789\n", small)[0] == "ERR line 1: value is 9 bytes, limit 8");
  CHECK(ParseAll("check a = 123456789\n", small)[0] == "ERR line 1: value is 9 bytes, limit 8");
  CHECK(ParseAll("get a\nget b\nget c\nget d\n", small)[0] ==
        "ERR line 4: transaction has more than 3 ops");
  CHECK(ParseAll("put abc 12345678\nput abd 12345678\n", small)[0] ==
        "ERR line 2: transaction is larger than 20 bytes");
  // A line too long to be valid is rejected without being held in memory.
  const std::string huge = "put a " + std::string(4 * (4 + 8) + 65, 'x') + "\nput b 1\n\nget c\n";
  auto r = ParseAll(huge, small);
  REQUIRE(r.size() == 2);
  CHECK(r[0] == "ERR line 1: line longer than 112 bytes");
  CHECK(r[1] == "get(c)");
  // Escaped bytes count once decoded.
  CHECK(ParseAll("put \\x61\\x62\\x63\\x64 1\n", small) == std::vector<std::string>{"put(abcd=1)"});
}

TEST_CASE("the reader streams: one transaction at a time from a long input", "[txn][script]") {
  // A stream source that produces 100000 transactions on demand.
  struct Gen : std::streambuf {
    int n = 0;
    std::string cur;
    int_type underflow() override {
      if (n == 100000) return traits_type::eof();
      cur = "put k" + std::to_string(n) + " v\ncommit\n";
      ++n;
      setg(cur.data(), cur.data(), cur.data() + cur.size());
      return traits_type::to_int_type(cur[0]);
    }
  } gen;
  std::istream in(&gen);
  ScriptReader r(in);
  ScriptTxn t;
  size_t count = 0;
  while (*r.Next(&t)) {
    REQUIRE(t.ops.size() == 1);
    ++count;
  }
  CHECK(count == 100000);
  CHECK(r.line() == 200000);
}
