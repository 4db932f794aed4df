// cdc-pg --drop-slot / --drop-publication: remove what a cdc-pg run left on
// the server, without psql. Refused while the slot is in use.
#include "cdc/pg_conn.h"
#include "sluice/cdc_pg.h"

namespace sluice {

using pg::ConnPtr;
using pg::PgClient;
using pg::ResultPtr;

Status drop_pg_cdc_objects(const PgCdcOptions& o, bool slot, bool publication) {
  PgClient client(o.conninfo, o.timeout);
  ConnPtr c;
  SLUICE_RETURN_IF_ERROR(client.connect(/*replication=*/false, &c));
  const std::string on = " on " + client.server();
  // The slot is looked at for both: a running cdc-pg streams the
  // publication through it.
  Result<ResultPtr> s =
      client.exec_params(c.get(),
                         "SELECT active, coalesce(active_pid::text, '') FROM pg_replication_slots "
                         "WHERE slot_name = $1",
                         {o.slot}, "looking up replication slot '" + o.slot + "'");
  if (!s.ok()) return s.status();
  const bool slot_exists = PQntuples(s->get()) == 1;
  if (slot_exists && std::string_view(PQgetvalue(s->get(), 0, 0)) == "t") {
    return Status::TryAgain("replication slot '" + o.slot + "'" + on + " is in use by pid " +
                            PQgetvalue(s->get(), 0, 1) + ": stop that cdc-pg first");
  }
  if (slot && !slot_exists) {
    return Status::NotFound("replication slot '" + o.slot + "' does not exist" + on);
  }
  bool pub_exists = false;
  if (publication) {
    Result<ResultPtr> p =
        client.exec_params(c.get(), "SELECT 1 FROM pg_publication WHERE pubname = $1",
                           {o.publication}, "looking up publication '" + o.publication + "'");
    if (!p.ok()) return p.status();
    pub_exists = PQntuples(p->get()) == 1;
    if (!pub_exists) {
      return Status::NotFound("publication '" + o.publication + "' does not exist" + on);
    }
  }
  if (slot) {
    Result<ResultPtr> d =
        client.exec_params(c.get(), "SELECT pg_drop_replication_slot($1)", {o.slot},
                           "dropping replication slot '" + o.slot + "'");
    if (!d.ok()) return d.status();
  }
  if (publication && pub_exists) {
    Result<ResultPtr> d =
        client.exec(c.get(), "DROP PUBLICATION " + pg::quote_ident(o.publication), PGRES_COMMAND_OK,
                    "dropping publication '" + o.publication + "'");
    if (!d.ok()) return d.status();
  }
  return Status::Ok();
}

}  // namespace sluice
