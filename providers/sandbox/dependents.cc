#include "sandbox/dependents.h"

#include <algorithm>

namespace cmk {

bool Dependents::IsSubject(const std::string& topic) const {
  return std::any_of(prefixes_.begin(), prefixes_.end(), [&](const std::string& p) {
    return topic.compare(0, p.size(), p) == 0;
  });
}

void Dependents::Touch(const std::string& topic) {
  if (all_) return;
  if (IsSubject(topic)) stale_.insert(topic);
  auto it = subjects_of_.find(topic);
  if (it == subjects_of_.end()) return;
  stale_.insert(it->second.begin(), it->second.end());
}

void Dependents::Reset() {
  all_ = true;
  stale_.clear();
  subjects_of_.clear();
  topics_of_.clear();
  rechecks_.clear();
  recheck_of_.clear();
}

Dependents::Stale Dependents::Take(int64_t now) {
  Stale out;
  if (last_now_ && now < *last_now_) Reset();  // the clock went back: nothing holds
  last_now_ = now;
  if (all_) {
    Reset();
    all_ = false;
    out.all = true;
    return out;
  }
  while (!rechecks_.empty() && rechecks_.begin()->first <= now) {
    stale_.insert(rechecks_.begin()->second);
    recheck_of_.erase(rechecks_.begin()->second);
    rechecks_.erase(rechecks_.begin());
  }
  out.subjects.assign(stale_.begin(), stale_.end());
  std::sort(out.subjects.begin(), out.subjects.end());
  stale_.clear();
  return out;
}

void Dependents::Unlink(const std::string& subject) {
  if (auto t = topics_of_.find(subject); t != topics_of_.end()) {
    for (const auto& topic : t->second) {
      auto s = subjects_of_.find(topic);
      if (s == subjects_of_.end()) continue;
      s->second.erase(subject);
      if (s->second.empty()) subjects_of_.erase(s);
    }
    topics_of_.erase(t);
  }
  if (auto r = recheck_of_.find(subject); r != recheck_of_.end()) {
    rechecks_.erase(r->second);
    recheck_of_.erase(r);
  }
}

void Dependents::Record(const std::string& subject, const std::vector<std::string>& topics,
                        std::optional<int64_t> recheck_at) {
  Unlink(subject);
  std::vector<std::string>& mine = topics_of_[subject];
  for (const auto& topic : topics) {
    if (topic.empty()) continue;
    mine.push_back(topic);
    subjects_of_[topic].insert(subject);
  }
  if (recheck_at) recheck_of_[subject] = rechecks_.emplace(*recheck_at, subject);
  stale_.erase(subject);
}

void Dependents::Forget(const std::string& subject) {
  Unlink(subject);
  stale_.erase(subject);
}

}  // namespace cmk
