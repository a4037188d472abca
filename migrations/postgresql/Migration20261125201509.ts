import { Migration } from '@mikro-orm/migrations';

export class Migration20261125201509 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "integration_oauth_states" ("id" uuid not null, "state_hash" varchar(64) not null, "user_id" uuid not null, "provider" varchar(32) not null, "key_id" varchar(32) not null, "verifier_ciphertext" text not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, constraint "integration_oauth_states_pkey" primary key ("id"));`);
    this.addSql(`alter table "integration_oauth_states" add constraint "integration_oauth_states_hash_unique" unique ("state_hash");`);
    this.addSql(`create index "integration_oauth_states_user_index" on "integration_oauth_states" ("user_id", "created_at");`);
    this.addSql(`create index "integration_oauth_states_expires_index" on "integration_oauth_states" ("expires_at");`);

    this.addSql(`create table "integrations" ("id" uuid not null, "user_id" uuid not null, "provider" varchar(32) not null, "status" varchar(24) not null default 'connected', "account_email" varchar(254) null, "account_subject" varchar(255) null, "scopes" jsonb not null, "key_id" varchar(32) null, "token_ciphertext" text null, "access_token_expires_at" timestamptz null, "connected_at" timestamptz not null, "updated_at" timestamptz not null, "last_refreshed_at" timestamptz null, "last_error" varchar(64) null, constraint "integrations_pkey" primary key ("id"));`);
    this.addSql(`alter table "integrations" add constraint "integrations_user_provider_unique" unique ("user_id", "provider");`);

    this.addSql(`alter table "integration_oauth_states" add constraint "integration_oauth_states_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "integrations" add constraint "integrations_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "integration_oauth_states" cascade;`);

    this.addSql(`drop table if exists "integrations" cascade;`);

  }

}
