// librdkafka Admin API calls for KafkaAdmin; see kafka_admin_ops.h.
#include "backends/kafka_admin_ops.h"

#include <cstdlib>
#include <string_view>

namespace sluice::kafka {
namespace {

struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
using OptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>;
struct ResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
};
using ResourcePtr = std::unique_ptr<rd_kafka_ConfigResource_t, ResourceDeleter>;

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

bool unsupported(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
         err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION || err == RD_KAFKA_RESP_ERR_INVALID_REQUEST;
}

// The Status of a failed request: `what` says what was being done ("create
// kafka topic 'x'"), `request` names the Kafka request.
Status failure(const AdminTarget& t, rd_kafka_resp_err_t err, const char* errstr,
               const std::string& what, const char* request) {
  const std::string why = lower_first(errstr && *errstr ? errstr : rd_kafka_err2str(err));
  if (unsupported(err)) {
    return Status::InvalidArgument("kafka cluster '" + t.brokers + "' cannot " + what +
                                   ": the broker does not support " + request + " (" + why + ")");
  }
  return status_from(err, "cannot " + what + " on '" + t.brokers + "'");
}

OptionsPtr options(const AdminTarget& t, rd_kafka_admin_op_t op) {
  OptionsPtr o(rd_kafka_AdminOptions_new(t.rk, op));
  char errstr[256];
  rd_kafka_AdminOptions_set_request_timeout(o.get(), static_cast<int>(t.timeout.count()), errstr,
                                            sizeof errstr);
  if (op == RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS && t.broker_id >= 0) {
    rd_kafka_AdminOptions_set_broker(o.get(), t.broker_id, errstr, sizeof errstr);
  }
  return o;
}

// Waits for the result of the request sent to `q`; an error of the whole
// request becomes a Status.
Result<EventPtr> await(const AdminTarget& t, rd_kafka_queue_t* q, const std::string& what,
                       const char* request) {
  EventPtr ev(rd_kafka_queue_poll(q, static_cast<int>(t.timeout.count()) + 5000));
  rd_kafka_resp_err_t err = ev ? rd_kafka_event_error(ev.get()) : RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return Status::TimedOut("cannot " + what + " on '" + t.brokers + "': no answer to " + request +
                            " within " + std::to_string(t.timeout.count()) +
                            " ms (is the controller broker up?)");
  }
  if (err) {
    return failure(t, err, rd_kafka_event_error_string(ev.get()), what, request);
  }
  return ev;
}

// The error of one topic of a CreateTopics/DeleteTopics result.
Status topic_result(const AdminTarget& t, const rd_kafka_topic_result_t* const* res, size_t cnt,
                    const std::string& what, const char* request) {
  for (size_t i = 0; i < cnt; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    return failure(t, err, rd_kafka_topic_result_error_string(res[i]), what, request);
  }
  return Status::Ok();
}

}  // namespace

Status create_topic(const AdminTarget& t, const std::string& topic, const CreateOptions& o) {
  const std::string what = "create kafka topic '" + topic + "'";
  char errstr[512];
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(topic.c_str(), o.shards, o.replication_factor, errstr, sizeof errstr);
  if (nt == nullptr) return Status::InvalidArgument("cannot " + what + ": " + errstr);
  auto set = [&](const char* name, int64_t v) {
    if (v < 0) return;
    rd_kafka_NewTopic_set_config(nt, name, std::to_string(v).c_str());
  };
  set("retention.ms", o.retention_ms);
  set("retention.bytes", o.retention_bytes);
  set("segment.bytes", o.segment_bytes);
  QueuePtr q(rd_kafka_queue_new(t.rk));
  OptionsPtr opt = options(t, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_CreateTopics(t.rk, &nt, 1, opt.get(), q.get());
  rd_kafka_NewTopic_destroy(nt);
  Result<EventPtr> ev = await(t, q.get(), what, "CreateTopics");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev->get()), &cnt);
  for (size_t i = 0; i < cnt; ++i) {
    if (rd_kafka_topic_result_error(res[i]) == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return Status::InvalidArgument("kafka topic '" + topic + "' already exists on '" + t.brokers +
                                     "'");
    }
  }
  return topic_result(t, res, cnt, what, "CreateTopics");
}

Status delete_topic(const AdminTarget& t, const std::string& topic) {
  const std::string what = "delete kafka topic '" + topic + "'";
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
  QueuePtr q(rd_kafka_queue_new(t.rk));
  OptionsPtr opt = options(t, RD_KAFKA_ADMIN_OP_DELETETOPICS);
  rd_kafka_DeleteTopics(t.rk, &dt, 1, opt.get(), q.get());
  rd_kafka_DeleteTopic_destroy(dt);
  Result<EventPtr> ev = await(t, q.get(), what, "DeleteTopics");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev->get()), &cnt);
  return topic_result(t, res, cnt, what, "DeleteTopics");
}

GroupDescription group_description(const rd_kafka_group_info& g) {
  GroupDescription d;
  d.state = g.state ? g.state : "";
  d.dead = g.err == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND || d.state == "Dead";
  for (int m = 0; m < g.member_cnt; ++m) {
    const rd_kafka_group_member_info& mi = g.members[m];
    MemberInfo info;
    info.name = std::string(mi.client_id ? mi.client_id : "") + "@" +
                (mi.client_host ? mi.client_host : "") + " (" + (mi.member_id ? mi.member_id : "") +
                ")";
    d.members.push_back(std::move(info));
  }
  return d;
}

Result<std::optional<GroupDescription>> describe_group(const AdminTarget& t,
                                                       const std::string& group) {
  const struct rd_kafka_group_list* list = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_list_groups(t.rk, group.c_str(), &list, static_cast<int>(t.timeout.count()));
  if (unsupported(err)) return std::optional<GroupDescription>();
  if (err) {
    return failure(t, err, nullptr, "describe kafka consumer group '" + group + "'",
                   "DescribeGroups");
  }
  GroupDescription d;
  d.dead = true;  // not listed: no such group
  for (int i = 0; list && i < list->group_cnt; ++i) {
    if (group == list->groups[i].group) d = group_description(list->groups[i]);
  }
  if (list) rd_kafka_group_list_destroy(list);
  return std::optional(std::move(d));
}

Result<std::vector<int64_t>> committed_offsets(const AdminTarget& t, const std::string& group,
                                               const std::string& topic, int32_t partitions) {
  const std::string what = "read the offsets of kafka consumer group '" + group + "'";
  PartitionListPtr want(rd_kafka_topic_partition_list_new(partitions));
  for (int32_t p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(want.get(), topic.c_str(), p);
  }
  rd_kafka_ListConsumerGroupOffsets_t* req =
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), want.get());
  QueuePtr q(rd_kafka_queue_new(t.rk));
  OptionsPtr opt = options(t, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
  rd_kafka_ListConsumerGroupOffsets(t.rk, &req, 1, opt.get(), q.get());
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  Result<EventPtr> ev = await(t, q.get(), what, "OffsetFetch");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_group_result_t** res = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(ev->get()), &cnt);
  std::vector<int64_t> out(static_cast<size_t>(partitions), -1);
  for (size_t i = 0; i < cnt; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(res[i])) {
      return failure(t, rd_kafka_error_code(e), rd_kafka_error_string(e), what, "OffsetFetch");
    }
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(res[i]);
    for (int k = 0; parts && k < parts->cnt; ++k) {
      const rd_kafka_topic_partition_t& e = parts->elems[k];
      if (topic != e.topic || e.partition < 0 || e.partition >= partitions) continue;
      if (e.err == 0 && e.offset >= 0) out[static_cast<size_t>(e.partition)] = e.offset;
    }
  }
  return out;
}

Status alter_group_offsets(const AdminTarget& t, const std::string& group, const std::string& topic,
                           const std::vector<int64_t>& offsets) {
  const std::string what = "reset kafka consumer group '" + group + "'";
  PartitionListPtr l(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (size_t p = 0; p < offsets.size(); ++p) {
    rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), static_cast<int32_t>(p))->offset =
        offsets[p];
  }
  rd_kafka_AlterConsumerGroupOffsets_t* req =
      rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), l.get());
  QueuePtr q(rd_kafka_queue_new(t.rk));
  OptionsPtr opt = options(t, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
  rd_kafka_AlterConsumerGroupOffsets(t.rk, &req, 1, opt.get(), q.get());
  rd_kafka_AlterConsumerGroupOffsets_destroy(req);
  Result<EventPtr> ev = await(t, q.get(), what, "OffsetCommit");
  if (!ev.ok()) return ev.status();
  size_t cnt = 0;
  const rd_kafka_group_result_t** res = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(ev->get()), &cnt);
  auto refused = [&](rd_kafka_resp_err_t err, const char* text) -> Status {
    switch (err) {
      case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
      case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
      case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
      case RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC:
        return Status::TryAgain("kafka consumer group '" + group + "' of topic '" + topic +
                                "' has live members: the broker refused the reset (" +
                                lower_first(text && *text ? text : rd_kafka_err2str(err)) +
                                "); stop them first (kafka alters only inactive groups)");
      default:
        return failure(t, err, text, what, "OffsetCommit");
    }
  };
  for (size_t i = 0; i < cnt; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(res[i])) {
      return refused(rd_kafka_error_code(e), rd_kafka_error_string(e));
    }
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(res[i]);
    for (int k = 0; parts && k < parts->cnt; ++k) {
      if (parts->elems[k].err) return refused(parts->elems[k].err, nullptr);
    }
  }
  return Status::Ok();
}

Result<std::vector<int64_t>> delete_records(const AdminTarget& t, const std::string& topic,
                                            const std::vector<int64_t>& before) {
  const std::string what = "trim kafka topic '" + topic + "'";
  PartitionListPtr l(rd_kafka_topic_partition_list_new(static_cast<int>(before.size())));
  for (size_t p = 0; p < before.size(); ++p) {
    if (before[p] < 0) continue;
    rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), static_cast<int32_t>(p))->offset =
        before[p];
  }
  std::vector<int64_t> out(before.size(), -1);
  if (l->cnt == 0) return out;
  rd_kafka_DeleteRecords_t* req = rd_kafka_DeleteRecords_new(l.get());
  QueuePtr q(rd_kafka_queue_new(t.rk));
  OptionsPtr opt = options(t, RD_KAFKA_ADMIN_OP_DELETERECORDS);
  rd_kafka_DeleteRecords(t.rk, &req, 1, opt.get(), q.get());
  rd_kafka_DeleteRecords_destroy(req);
  Result<EventPtr> ev = await(t, q.get(), what, "DeleteRecords");
  if (!ev.ok()) return ev.status();
  const rd_kafka_topic_partition_list_t* parts =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev->get()));
  for (int k = 0; parts && k < parts->cnt; ++k) {
    const rd_kafka_topic_partition_t& e = parts->elems[k];
    if (e.err) return failure(t, e.err, nullptr, what, "DeleteRecords");
    if (e.partition >= 0 && static_cast<size_t>(e.partition) < out.size()) {
      out[static_cast<size_t>(e.partition)] = e.offset;
    }
  }
  return out;
}

Status alter_retention(const AdminTarget& t, const std::string& topic,
                       const RetentionChange& change) {
  const std::string what = "change the retention of kafka topic '" + topic + "'";
  // AlterConfigs replaces every dynamic config of the topic: read them
  // first and send them back with the change.
  ResourcePtr want(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
  rd_kafka_ConfigResource_t* arr[1] = {want.get()};
  QueuePtr q(rd_kafka_queue_new(t.rk));
  OptionsPtr opt = options(t, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_DescribeConfigs(t.rk, arr, 1, opt.get(), q.get());
  Result<EventPtr> ev = await(t, q.get(), what, "DescribeConfigs");
  if (!ev.ok()) return ev.status();
  size_t rcnt = 0;
  const rd_kafka_ConfigResource_t** res = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev->get()), &rcnt);
  ResourcePtr alter(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
  for (size_t i = 0; i < rcnt; ++i) {
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(res[i])) {
      return failure(t, err, rd_kafka_ConfigResource_error_string(res[i]), what, "DescribeConfigs");
    }
    size_t n = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(res[i], &n);
    for (size_t k = 0; k < n; ++k) {
      if (rd_kafka_ConfigEntry_source(entries[k]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) {
        continue;
      }
      rd_kafka_ConfigResource_set_config(alter.get(), rd_kafka_ConfigEntry_name(entries[k]),
                                         rd_kafka_ConfigEntry_value(entries[k]));
    }
  }
  if (change.set_ms) {
    rd_kafka_ConfigResource_set_config(alter.get(), "retention.ms",
                                       std::to_string(change.retention_ms).c_str());
  }
  if (change.set_bytes) {
    rd_kafka_ConfigResource_set_config(alter.get(), "retention.bytes",
                                       std::to_string(change.retention_bytes).c_str());
  }
  arr[0] = alter.get();
  QueuePtr q2(rd_kafka_queue_new(t.rk));
  OptionsPtr opt2 = options(t, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
  rd_kafka_AlterConfigs(t.rk, arr, 1, opt2.get(), q2.get());
  Result<EventPtr> ev2 = await(t, q2.get(), what, "AlterConfigs");
  if (!ev2.ok()) return ev2.status();
  res =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev2->get()), &rcnt);
  for (size_t i = 0; i < rcnt; ++i) {
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(res[i])) {
      return failure(t, err, rd_kafka_ConfigResource_error_string(res[i]), what, "AlterConfigs");
    }
  }
  return Status::Ok();
}

Result<std::vector<TopicRetention>> describe_retention(const AdminTarget& t,
                                                       const std::vector<std::string>& topics) {
  const std::string what = "read the retention of kafka topics";
  std::vector<ResourcePtr> owned;
  std::vector<rd_kafka_ConfigResource_t*> arr;
  for (const std::string& topic : topics) {
    owned.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    arr.push_back(owned.back().get());
  }
  std::vector<TopicRetention> out(topics.size());
  if (arr.empty()) return out;
  QueuePtr q(rd_kafka_queue_new(t.rk));
  OptionsPtr opt = options(t, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_DescribeConfigs(t.rk, arr.data(), arr.size(), opt.get(), q.get());
  Result<EventPtr> ev = await(t, q.get(), what, "DescribeConfigs");
  if (!ev.ok()) return ev.status();
  size_t rcnt = 0;
  const rd_kafka_ConfigResource_t** res = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev->get()), &rcnt);
  for (size_t i = 0; i < rcnt; ++i) {
    const std::string_view name = rd_kafka_ConfigResource_name(res[i]);
    size_t at = 0;
    while (at < topics.size() && topics[at] != name) ++at;
    if (at == topics.size()) continue;
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(res[i])) {
      return failure(t, err, rd_kafka_ConfigResource_error_string(res[i]),
                     "read the retention of kafka topic '" + topics[at] + "'", "DescribeConfigs");
    }
    size_t n = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(res[i], &n);
    for (size_t k = 0; k < n; ++k) {
      const std::string_view key = rd_kafka_ConfigEntry_name(entries[k]);
      const char* value = rd_kafka_ConfigEntry_value(entries[k]);
      if (value == nullptr) continue;
      if (key == "retention.ms") out[at].ms = std::strtoll(value, nullptr, 10);
      if (key == "retention.bytes") out[at].bytes = std::strtoll(value, nullptr, 10);
    }
    if (out[at].ms < 0) out[at].ms = -1;
    if (out[at].bytes < 0) out[at].bytes = -1;
  }
  return out;
}

Result<std::vector<int64_t>> offsets_for_time(const AdminTarget& t, const std::string& topic,
                                              int32_t partitions, int64_t ts_ms) {
  PartitionListPtr l(rd_kafka_topic_partition_list_new(partitions));
  for (int32_t p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), p)->offset = ts_ms;
  }
  rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(t.rk, l.get(), static_cast<int>(t.timeout.count()));
  if (err) {
    return status_from(err, "cannot find the offsets of kafka topic '" + topic + "' at a time");
  }
  std::vector<int64_t> out(static_cast<size_t>(partitions), -1);
  for (int k = 0; k < l->cnt; ++k) {
    const rd_kafka_topic_partition_t& e = l->elems[k];
    if (e.err == 0 && e.partition >= 0 && e.partition < partitions && e.offset >= 0) {
      out[static_cast<size_t>(e.partition)] = e.offset;
    }
  }
  return out;
}

}  // namespace sluice::kafka
