#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sluice/trigger.h"

using namespace sluice;
using namespace sluice::trigger;

TEST_CASE("BatchMatcher: the results of Rule::matches, event by event, on two threads") {
  RuleContext ctx;
  ctx.dry_run = true;
  ctx.strict = true;  // a type mismatch is an error too
  std::vector<RuleSpec> specs(2);
  specs[0].name = "price";
  specs[0].when = "op == \"u\" && changed(after.price)";
  specs[1].name = "big";
  specs[1].when = "after.price > 500";
  auto batch_rules = CreateRules(specs, ctx);
  auto one_rules = CreateRules(specs, ctx);
  REQUIRE(batch_rules.ok());
  REQUIRE(one_rules.ok());
  // Updates that change the price or not, inserts, events that are not
  // JSON and prices that are strings (a mismatch for strict '>').
  std::vector<std::string> texts;
  for (int i = 0; i < 1000; ++i) {
    const int p = i % 997;
    if (i % 101 == 0) {
      texts.push_back("{\"op\":\"u\",\"before\":");
    } else if (i % 103 == 0) {
      texts.push_back("{\"op\":\"c\",\"after\":{\"price\":\"x\"}}");
    } else {
      texts.push_back("{\"before\":{\"price\":" + std::to_string(p) +
                      "},\"after\":{\"price\":" + std::to_string(i % 3 == 0 ? p + 1 : p) +
                      "},\"op\":\"" + (i % 2 == 0 ? "u" : "c") + "\"}");
    }
  }
  std::vector<Event> events(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    events[i].msg.payload = texts[i];
    events[i].line = i + 1;
  }
  std::vector<Rule*> rules;
  for (auto& r : *batch_rules) rules.push_back(r.get());
  BatchMatcher matcher;
  for (int round = 0; round < 3; ++round) {  // the worker is reused
    matcher.run(rules, events);
    size_t matched = 0;
    size_t errors = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      for (size_t r = 0; r < rules.size(); ++r) {
        const Result<bool>& got = matcher.result(i, r);
        Result<bool> want = (*one_rules)[r]->matches(events[i]);
        REQUIRE(got.ok() == want.ok());
        if (want.ok()) {
          CHECK(*got == *want);
          matched += *want ? 1 : 0;
        } else {
          CHECK(got.status().message() == want.status().message());
          ++errors;
        }
      }
    }
    CHECK(matched > 0);
    CHECK(errors > 0);
  }
  // Nothing is counted until the caller counts.
  CHECK(rules[0]->stats().events == 0);
  rules[0]->count(matcher.result(3, 0));
  CHECK(rules[0]->stats().events == 1);
  // A batch too small for the worker is evaluated all the same.
  std::vector<Event> few(events.begin(), events.begin() + 5);
  matcher.run(rules, few);
  for (size_t i = 0; i < few.size(); ++i) {
    Result<bool> want = (*one_rules)[0]->matches(few[i]);
    CHECK(matcher.result(i, 0).ok() == want.ok());
  }
}
