import { Migration } from '@mikro-orm/migrations';

export class Migration20261125201508 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`integration_oauth_states\` (\`id\` text not null, \`state_hash\` text not null, \`user_id\` text not null, \`provider\` text not null, \`key_id\` text not null, \`verifier_ciphertext\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, constraint \`integration_oauth_states_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`integration_oauth_states_hash_unique\` on \`integration_oauth_states\` (\`state_hash\`);`);
    this.addSql(`create index \`integration_oauth_states_user_index\` on \`integration_oauth_states\` (\`user_id\`, \`created_at\`);`);
    this.addSql(`create index \`integration_oauth_states_expires_index\` on \`integration_oauth_states\` (\`expires_at\`);`);

    this.addSql(`create table \`integrations\` (\`id\` text not null, \`user_id\` text not null, \`provider\` text not null, \`status\` text not null default 'connected', \`account_email\` text null, \`account_subject\` text null, \`scopes\` json not null, \`key_id\` text null, \`token_ciphertext\` text null, \`access_token_expires_at\` datetime null, \`connected_at\` datetime not null, \`updated_at\` datetime not null, \`last_refreshed_at\` datetime null, \`last_error\` text null, constraint \`integrations_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`integrations_user_provider_unique\` on \`integrations\` (\`user_id\`, \`provider\`);`);
  }

}
