import { Migration } from '@mikro-orm/migrations';

export class Migration20261202191808 extends Migration {

  override name = 'Migration20261202191808';

  override up(): void | Promise<void> {
    this.addSql(`create table \`xp_bonus_days\` (\`id\` text not null primary key, \`user_id\` text not null, \`day\` text not null, \`xp\` integer not null, constraint \`xp_bonus_days_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create index \`xp_bonus_days_user_id_index\` on \`xp_bonus_days\` (\`user_id\`);`);
    this.addSql(`create unique index \`xp_bonus_days_user_day_unique\` on \`xp_bonus_days\` (\`user_id\`, \`day\`);`);

    this.addSql(`create table \`xp_boosters\` (\`id\` text not null primary key, \`user_id\` text not null, \`day\` text not null, \`multiplier\` integer not null, \`starts_at\` datetime not null, \`ends_at\` datetime not null, constraint \`xp_boosters_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create index \`xp_boosters_user_id_index\` on \`xp_boosters\` (\`user_id\`);`);
    this.addSql(`create unique index \`xp_boosters_user_day_unique\` on \`xp_boosters\` (\`user_id\`, \`day\`);`);

    this.addSql(`create table \`xp_freeze_days\` (\`id\` text not null primary key, \`user_id\` text not null, \`day\` text not null, \`created_at\` datetime not null, constraint \`xp_freeze_days_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create index \`xp_freeze_days_user_id_index\` on \`xp_freeze_days\` (\`user_id\`);`);
    this.addSql(`create unique index \`xp_freeze_days_user_day_unique\` on \`xp_freeze_days\` (\`user_id\`, \`day\`);`);

    this.addSql(`create table \`xp_quests\` (\`id\` text not null primary key, \`user_id\` text not null, \`day\` text not null, \`slot\` integer not null, \`template\` text not null, \`goal\` integer not null, \`reward_tokens\` integer not null, \`completed_at\` datetime null, constraint \`xp_quests_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create index \`xp_quests_user_id_index\` on \`xp_quests\` (\`user_id\`);`);
    this.addSql(`create unique index \`xp_quests_user_day_slot_unique\` on \`xp_quests\` (\`user_id\`, \`day\`, \`slot\`);`);

    this.addSql(`create table \`xp_wallets\` (\`id\` text not null primary key, \`user_id\` text not null, \`token_balance\` integer not null default 0, \`freezes_held\` integer not null default 0, \`freezes_used\` integer not null default 0, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`xp_wallets_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create index \`xp_wallets_user_id_index\` on \`xp_wallets\` (\`user_id\`);`);
    this.addSql(`create unique index \`xp_wallets_user_unique\` on \`xp_wallets\` (\`user_id\`);`);

    this.addSql(`alter table \`users\` add column \`public_profile\` integer not null default false;`);

  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`xp_bonus_days\`;`);
    this.addSql(`drop table if exists \`xp_boosters\`;`);
    this.addSql(`drop table if exists \`xp_freeze_days\`;`);
    this.addSql(`drop table if exists \`xp_quests\`;`);
    this.addSql(`drop table if exists \`xp_wallets\`;`);


    this.addSql(`alter table \`users\` drop column \`public_profile\`;`);
  }

}
