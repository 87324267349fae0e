#include "report/run_data.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::report {
namespace fs = std::filesystem;

namespace {

fs::path ProgressFile(const fs::path& dir) {
  // A live run writes progress.csv; a committed results folder may hold the .gz instead.
  if (fs::is_regular_file(dir / "progress.csv")) return dir / "progress.csv";
  return dir / "progress.csv.gz";
}

nlohmann::json ReadJson(const fs::path& path) {
  try {
    return nlohmann::json::parse(ReadTextFile(path));
  } catch (const nlohmann::json::exception& e) {
    const std::string what = e.what();  // without the library's "[json.exception.parse_error.101] " tag
    const auto tag = what.find("] ");
    throw std::invalid_argument(fmt::format("'{}' is not valid JSON: {}", DisplayPath(path),
                                            tag == std::string::npos ? what : what.substr(tag + 2)));
  }
}

// provenance.json's "commit", else summary.json's "commit", else "unknown".
std::string ReadCommit(const fs::path& dir, const nlohmann::json& summary) {
  if (fs::exists(dir / "provenance.json")) {
    const nlohmann::json p = ReadJson(dir / "provenance.json");
    if (p.is_object() && p.contains("commit") && p["commit"].is_string()) return p["commit"].get<std::string>();
  }
  if (summary.is_object() && summary.contains("commit") && summary["commit"].is_string())
    return summary["commit"].get<std::string>();
  return "unknown";
}

double ParseNumber(const std::string& cell, const std::string& where, std::size_t line, const char* column) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(cell, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != cell.size())
    throw std::invalid_argument(
        fmt::format("{} line {}: {} = '{}' is not a number (expected a decimal number)", where, line, column, cell));
  return v;
}

void Search(const fs::path& dir, int depth_left, std::vector<fs::path>& found) {
  if (IsRunDir(dir)) {
    found.push_back(fs::canonical(dir));
    return;
  }
  if (depth_left == 0) return;
  std::vector<fs::path> children;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_directory()) children.push_back(entry.path());
  std::sort(children.begin(), children.end());
  for (const auto& c : children) Search(c, depth_left - 1, found);
}

}  // namespace

bool IsRunDir(const fs::path& dir) {
  return fs::is_regular_file(dir / "config.toml") &&
         (fs::is_regular_file(dir / "progress.csv") || fs::is_regular_file(dir / "progress.csv.gz"));
}

std::string ReadTextFile(const fs::path& path) {
  if (!fs::is_regular_file(path))
    throw std::runtime_error(fmt::format("cannot read '{}': {}", DisplayPath(path),
                                         fs::exists(path) ? "not a regular file" : "no such file"));
  gzFile f = gzopen(path.string().c_str(), "rb");  // reads plain files as they are
  if (f == nullptr) throw std::runtime_error(fmt::format("cannot open '{}' for reading", DisplayPath(path)));
  std::string text;
  char chunk[1 << 16];
  while (true) {
    const int n = gzread(f, chunk, sizeof(chunk));
    int code = Z_OK;
    const char* msg = gzerror(f, &code);
    if (n < 0 || (code != Z_OK && code != Z_STREAM_END)) {
      const std::string why = msg != nullptr ? msg : "unknown error";
      gzclose(f);
      throw std::runtime_error(fmt::format("'{}': corrupt or truncated gzip data after {} bytes: {}",
                                           DisplayPath(path), text.size(), why));
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  gzclose(f);
  return text;
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
      else if (ch == '"') quoted = false;
      else cells.back() += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      cells.emplace_back();
    } else if (ch != '\r') {
      cells.back() += ch;
    }
  }
  return cells;
}

Progress ParseProgressCsv(const std::string& text, const std::string& where) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw std::invalid_argument(fmt::format("{} is empty (expected a header row)", where));
  const std::vector<std::string> header = SplitCsvLine(line);
  auto column = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end())
      throw std::invalid_argument(fmt::format("{}: no '{}' column in the header '{}' (progress.csv columns are in "
                                              "docs/training.md)", where, name, line));
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t step_col = column("step"), eval_col = column("eval_mean");
  Progress p;
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> cells = SplitCsvLine(line);
    if (step_col >= cells.size())
      throw std::invalid_argument(fmt::format("{} line {}: {} cells, no step column", where, number, cells.size()));
    const double step = ParseNumber(cells[step_col], where, number, "step");
    // A step is a whole number an int64 holds (casting one it does not hold is undefined).
    if (!(step >= -0x1p63 && step < 0x1p63) || step != std::floor(step))
      throw std::invalid_argument(fmt::format("{} line {}: step = '{}' is not a whole number of steps", where, number,
                                              cells[step_col]));
    p.last_step = static_cast<std::int64_t>(step);
    if (eval_col < cells.size() && !cells[eval_col].empty())
      p.evals.push_back({p.last_step, ParseNumber(cells[eval_col], where, number, "eval_mean")});
  }
  return p;
}

RunData LoadRunData(const fs::path& dir) {
  if (!IsRunDir(dir))
    throw std::invalid_argument(fmt::format(
        "'{}' is not a run (needs config.toml and progress.csv or progress.csv.gz)", DisplayPath(dir)));
  RunData r;
  r.dir = fs::canonical(dir);
  r.config = rl::LoadTrainConfig((dir / "config.toml").string());
  if (fs::exists(dir / "summary.json")) r.summary = ReadJson(dir / "summary.json");
  const fs::path progress = ProgressFile(dir);
  r.progress = ParseProgressCsv(ReadTextFile(progress), DisplayPath(progress));
  r.commit = ReadCommit(dir, r.summary);
  return r;
}

std::vector<fs::path> FindRunDirs(const std::vector<std::string>& paths, int max_depth) {
  std::vector<fs::path> all;
  for (const std::string& p : paths) {
    if (!fs::is_directory(p))
      throw std::invalid_argument(fmt::format("'{}' is not a directory (expected a run directory or a folder of runs)", p));
    std::vector<fs::path> found;
    Search(p, max_depth, found);
    if (found.empty())
      throw std::invalid_argument(fmt::format("'{}' holds no run within {} levels (a run has config.toml and "
                                              "progress.csv or progress.csv.gz)", p, max_depth));
    all.insert(all.end(), found.begin(), found.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

std::string DisplayPath(const fs::path& p) {
  std::error_code ec;
  const fs::path abs = fs::absolute(p, ec);
  if (ec) return p.string();
  const fs::path rel = abs.lexically_normal().lexically_proximate(fs::current_path(ec));
  if (!ec && !rel.empty() && *rel.begin() != "..") return rel.string();
  return abs.lexically_normal().string();
}

}  // namespace fixar::report
