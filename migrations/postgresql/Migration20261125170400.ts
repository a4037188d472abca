import { Migration } from '@mikro-orm/migrations';

export class Migration20261125170400 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "users" ("id" uuid not null, "email" varchar(254) not null, "email_normalized" varchar(254) not null, "username" varchar(32) not null, "username_normalized" varchar(32) not null, "password_hash" varchar(255) not null, "full_name" varchar(200) null, "nickname" varchar(50) null, "preferred_language" varchar(16) not null default 'en', "timezone" varchar(64) not null default 'UTC', "avatar_url" varchar(2048) null, "plan" varchar(32) not null default 'free', "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_normalized_unique" unique ("email_normalized");`);
    this.addSql(`alter table "users" add constraint "users_username_normalized_unique" unique ("username_normalized");`);
    this.addSql(`create index "users_created_at_index" on "users" ("created_at");`);

    this.addSql(`create table "login_sessions" ("id" uuid not null, "user_id" uuid not null, "created_at" timestamptz not null, "last_used_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_reason" varchar(32) null, "user_agent" varchar(512) null, "ip" varchar(64) null, constraint "login_sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "login_sessions_user_index" on "login_sessions" ("user_id", "revoked_at");`);

    this.addSql(`create table "refresh_tokens" ("id" uuid not null, "session_id" uuid not null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, "used_at" timestamptz null, constraint "refresh_tokens_pkey" primary key ("id"));`);
    this.addSql(`create index "refresh_tokens_session_index" on "refresh_tokens" ("session_id");`);
    this.addSql(`alter table "refresh_tokens" add constraint "refresh_tokens_hash_unique" unique ("token_hash");`);

    this.addSql(`alter table "login_sessions" add constraint "login_sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "refresh_tokens" add constraint "refresh_tokens_session_id_foreign" foreign key ("session_id") references "login_sessions" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "login_sessions" drop constraint "login_sessions_user_id_foreign";`);

    this.addSql(`alter table "refresh_tokens" drop constraint "refresh_tokens_session_id_foreign";`);

    this.addSql(`drop table if exists "users" cascade;`);

    this.addSql(`drop table if exists "login_sessions" cascade;`);

    this.addSql(`drop table if exists "refresh_tokens" cascade;`);
  }

}
