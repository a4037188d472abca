import { Migration } from '@mikro-orm/migrations';

export class Migration20261125174448 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "search_entries" ("id" uuid not null, "user_id" uuid not null, "type" varchar(16) not null, "source_id" uuid not null, "conversation_id" uuid null, "title" varchar(300) not null, "body" text not null, "created_at" timestamptz not null, constraint "search_entries_pkey" primary key ("id"));`);
    this.addSql(`create index "search_entries_conversation_index" on "search_entries" ("conversation_id");`);
    this.addSql(`create index "search_entries_user_created_index" on "search_entries" ("user_id", "created_at");`);
    this.addSql(`alter table "search_entries" add constraint "search_entries_source_unique" unique ("type", "source_id");`);

    this.addSql(`create table "notes" ("id" uuid not null, "user_id" uuid not null, "title" varchar(200) not null, "content" text not null, "tags" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "notes_pkey" primary key ("id"));`);
    this.addSql(`create index "notes_user_updated_index" on "notes" ("user_id", "updated_at");`);

    this.addSql(`create table "conversations" ("id" uuid not null, "user_id" uuid not null, "title" varchar(200) null, "provider" varchar(32) null, "model" varchar(100) null, "system_prompt" text null, "message_count" int not null default 0, "last_message_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "conversations_pkey" primary key ("id"));`);
    this.addSql(`create index "conversations_user_updated_index" on "conversations" ("user_id", "updated_at");`);

    this.addSql(`create table "messages" ("id" uuid not null, "conversation_id" uuid not null, "position" int not null, "role" varchar(16) not null, "content" text not null, "provider" varchar(32) null, "model" varchar(100) null, "status" varchar(16) not null default 'complete', "citations" jsonb not null, "prompt_tokens" int null, "completion_tokens" int null, "total_tokens" int null, "created_at" timestamptz not null, constraint "messages_pkey" primary key ("id"));`);
    this.addSql(`alter table "messages" add constraint "messages_conversation_position_unique" unique ("conversation_id", "position");`);

    this.addSql(`alter table "search_entries" add constraint "search_entries_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "notes" add constraint "notes_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "conversations" add constraint "conversations_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "messages" add constraint "messages_conversation_id_foreign" foreign key ("conversation_id") references "conversations" ("id") on update cascade on delete cascade;`);

    // Full-text index: a generated tsvector (title weighted above body) with a GIN index.
    this.addSql(`alter table "search_entries" add column "tsv" tsvector generated always as (setweight(to_tsvector('simple', coalesce("title", '')), 'A') || setweight(to_tsvector('simple', coalesce("body", '')), 'B')) stored;`);
    this.addSql(`create index "search_entries_tsv_index" on "search_entries" using gin ("tsv");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "messages" drop constraint "messages_conversation_id_foreign";`);

    this.addSql(`drop table if exists "search_entries" cascade;`);

    this.addSql(`drop table if exists "notes" cascade;`);

    this.addSql(`drop table if exists "conversations" cascade;`);

    this.addSql(`drop table if exists "messages" cascade;`);
  }

}
