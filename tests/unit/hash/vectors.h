// Helpers for the hash tests: reading ../shared/vectors at test time (so no
// vector is retyped) and building members.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "shardkit/hash/placement.h"

namespace shardkit::hash::testing {

// The whole of vectors/<name>; fails the test when it cannot be read.
inline std::string ReadVectors(const std::string& name) {
  const std::string path = std::string(SHARDKIT_VECTORS_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines after the one starting with `header` up to the next "## " line.
inline std::vector<std::string> Section(const std::string& text, const std::string& header) {
  std::vector<std::string> out;
  bool in_section = false;
  for (const std::string& line : Lines(text)) {
    if (line.rfind("## ", 0) == 0) {
      if (in_section) break;
      in_section = line.rfind(header, 0) == 0;
      continue;
    }
    if (in_section) out.push_back(line);
  }
  INFO("section " << header);
  REQUIRE(!out.empty());
  return out;
}

// The one line starting with `prefix` (after leading blanks).
inline std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  for (const std::string& line : Lines(text)) {
    const size_t start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, prefix.size(), prefix) == 0) {
      return line.substr(start);
    }
  }
  FAIL("no line starting with '" << prefix << "'");
  return {};
}

inline std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> words;
  std::istringstream in(s);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

inline std::vector<uint64_t> Numbers(const std::string& s) {
  std::vector<uint64_t> numbers;
  for (const std::string& w : Words(s)) numbers.push_back(std::stoull(w));
  return numbers;
}

inline std::unique_ptr<Placement> Build(Algorithm a, std::vector<Member> members,
                                        const Params& params = {}) {
  auto built = BuildPlacement(a, std::move(members), params);
  INFO(built.status().message());
  REQUIRE(built.ok());
  return std::move(built).value();
}

// n members "node-0" .. "node-<n-1>", weight 1, zone 0.
inline std::vector<Member> Nodes(size_t n, size_t first = 0) {
  std::vector<Member> members;
  for (size_t i = first; i < first + n; ++i) members.push_back({"node-" + std::to_string(i)});
  return members;
}

// The point a ring-type lookup of `h` lands on, found by plain binary
// search: the first point with pos >= h, wrapping to the first point.
inline const Point& ContinuumPoint(const Placement& p, uint64_t h) {
  const std::span<const Point> points = p.points();
  REQUIRE(!points.empty());
  auto it = std::lower_bound(points.begin(), points.end(), h,
                             [](const Point& pt, uint64_t v) { return pt.pos < v; });
  return it == points.end() ? points.front() : *it;
}

// Keys of the balance and movement tests: "key-0" .. "key-<n-1>".
inline std::string Key(uint64_t i) { return "key-" + std::to_string(i); }

}  // namespace shardkit::hash::testing
