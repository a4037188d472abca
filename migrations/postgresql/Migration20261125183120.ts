import { Migration } from '@mikro-orm/migrations';

export class Migration20261125183120 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "live_usage" ("id" uuid not null, "user_id" uuid not null, "period_start" timestamptz not null, "used_seconds" int not null default 0, constraint "live_usage_pkey" primary key ("id"));`);
    this.addSql(`alter table "live_usage" add constraint "live_usage_user_period_unique" unique ("user_id", "period_start");`);

    this.addSql(`create table "live_transcripts" ("id" uuid not null, "user_id" uuid not null, "session_id" uuid null, "session_started_at" timestamptz not null, "session_ended_at" timestamptz not null, "turns" jsonb not null, "created_at" timestamptz not null, constraint "live_transcripts_pkey" primary key ("id"));`);
    this.addSql(`create index "live_transcripts_user_started_index" on "live_transcripts" ("user_id", "session_started_at");`);

    this.addSql(`create table "live_sessions" ("id" uuid not null, "user_id" uuid not null, "active_user_id" uuid null, "session_type" varchar(16) not null, "language" varchar(16) null, "avatar_id" varchar(64) null, "status" varchar(16) not null default 'active', "started_at" timestamptz not null, "last_seen_at" timestamptz not null, "ended_at" timestamptz null, "end_reason" varchar(32) null, "used_seconds" int null, "period_start" timestamptz not null, constraint "live_sessions_pkey" primary key ("id"));`);
    this.addSql(`alter table "live_sessions" add constraint "live_sessions_active_user_unique" unique ("active_user_id");`);
    this.addSql(`create index "live_sessions_status_seen_index" on "live_sessions" ("status", "last_seen_at");`);
    this.addSql(`create index "live_sessions_user_started_index" on "live_sessions" ("user_id", "started_at");`);

    this.addSql(`alter table "live_usage" add constraint "live_usage_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "live_transcripts" add constraint "live_transcripts_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "live_sessions" add constraint "live_sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "live_usage" cascade;`);

    this.addSql(`drop table if exists "live_transcripts" cascade;`);

    this.addSql(`drop table if exists "live_sessions" cascade;`);

  }

}
