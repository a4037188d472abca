import { Migration } from '@mikro-orm/migrations';

export class Migration20261202191240 extends Migration {

  override name = 'Migration20261202191240';

  override up(): void | Promise<void> {
    this.addSql(`create table "conversation_sessions" ("id" uuid not null, "user_id" uuid not null, "conversation_id" uuid null, "active_key" varchar(80) null, "status" varchar(16) not null default 'active', "started_at" timestamptz not null, "last_activity_at" timestamptz not null, "ended_at" timestamptz null, "active_seconds" int not null default 0, primary key ("id"));`);
    this.addSql(`alter table "conversation_sessions" add constraint "conversation_sessions_active_key_unique" unique ("active_key");`);
    this.addSql(`create index "conversation_sessions_status_activity_index" on "conversation_sessions" ("status", "last_activity_at");`);
    this.addSql(`create index "conversation_sessions_conversation_index" on "conversation_sessions" ("conversation_id");`);
    this.addSql(`create index "conversation_sessions_user_started_index" on "conversation_sessions" ("user_id", "started_at");`);


    this.addSql(`alter table "conversation_sessions" add constraint "conversation_sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "conversation_sessions" add constraint "conversation_sessions_conversation_id_foreign" foreign key ("conversation_id") references "conversations" ("id") on update cascade on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "conversation_sessions" cascade;`);

  }

}
