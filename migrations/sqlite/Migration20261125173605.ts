import { Migration } from '@mikro-orm/migrations';

export class Migration20261125173605 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`organizations\` (\`id\` text not null, \`name\` text not null, \`slug\` text not null, \`description\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`organizations_slug_unique\` on \`organizations\` (\`slug\`);`);

    this.addSql(`create table \`teams\` (\`id\` text not null, \`organization_id\` text not null, \`name\` text not null, \`name_normalized\` text not null, \`created_at\` datetime not null, constraint \`teams_organization_id_foreign\` foreign key(\`organization_id\`) references \`organizations\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`teams_organization_id_index\` on \`teams\` (\`organization_id\`);`);
    this.addSql(`create unique index \`teams_org_name_unique\` on \`teams\` (\`organization_id\`, \`name_normalized\`);`);

    this.addSql(`create table \`memberships\` (\`id\` text not null, \`organization_id\` text not null, \`user_id\` text not null, \`role\` text not null, \`team_id\` text null, \`joined_at\` datetime not null, constraint \`memberships_organization_id_foreign\` foreign key(\`organization_id\`) references \`organizations\`(\`id\`) on delete cascade on update cascade, constraint \`memberships_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, constraint \`memberships_team_id_foreign\` foreign key(\`team_id\`) references \`teams\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`memberships_organization_id_index\` on \`memberships\` (\`organization_id\`);`);
    this.addSql(`create index \`memberships_team_index\` on \`memberships\` (\`team_id\`);`);
    this.addSql(`create index \`memberships_user_index\` on \`memberships\` (\`user_id\`);`);
    this.addSql(`create unique index \`memberships_org_user_unique\` on \`memberships\` (\`organization_id\`, \`user_id\`);`);

    this.addSql(`create table \`api_keys\` (\`id\` text not null, \`name\` text not null, \`organization_id\` text not null, \`created_by_id\` text not null, \`scopes\` json not null, \`prefix\` text not null, \`key_hash\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, \`allowed_ips\` json not null, constraint \`api_keys_organization_id_foreign\` foreign key(\`organization_id\`) references \`organizations\`(\`id\`) on delete cascade on update cascade, constraint \`api_keys_created_by_id_foreign\` foreign key(\`created_by_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`api_keys_organization_id_index\` on \`api_keys\` (\`organization_id\`);`);
    this.addSql(`create index \`api_keys_created_by_id_index\` on \`api_keys\` (\`created_by_id\`);`);
    this.addSql(`create unique index \`api_keys_hash_unique\` on \`api_keys\` (\`key_hash\`);`);
    this.addSql(`create index \`api_keys_org_index\` on \`api_keys\` (\`organization_id\`, \`created_by_id\`);`);
  }

}
