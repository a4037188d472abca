import { Migration } from '@mikro-orm/migrations';

export class Migration20261202191811 extends Migration {

  override name = 'Migration20261202191811';

  override up(): void | Promise<void> {
    this.addSql(`create table "xp_bonus_days" ("id" uuid not null, "user_id" uuid not null, "day" varchar(10) not null, "xp" int not null, primary key ("id"));`);
    this.addSql(`alter table "xp_bonus_days" add constraint "xp_bonus_days_user_day_unique" unique ("user_id", "day");`);

    this.addSql(`create table "xp_boosters" ("id" uuid not null, "user_id" uuid not null, "day" varchar(10) not null, "multiplier" int not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "xp_boosters" add constraint "xp_boosters_user_day_unique" unique ("user_id", "day");`);

    this.addSql(`create table "xp_freeze_days" ("id" uuid not null, "user_id" uuid not null, "day" varchar(10) not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "xp_freeze_days" add constraint "xp_freeze_days_user_day_unique" unique ("user_id", "day");`);

    this.addSql(`create table "xp_quests" ("id" uuid not null, "user_id" uuid not null, "day" varchar(10) not null, "slot" int not null, "template" varchar(40) not null, "goal" int not null, "reward_tokens" int not null, "completed_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "xp_quests" add constraint "xp_quests_user_day_slot_unique" unique ("user_id", "day", "slot");`);

    this.addSql(`create table "xp_wallets" ("id" uuid not null, "user_id" uuid not null, "token_balance" int not null default 0, "freezes_held" int not null default 0, "freezes_used" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "xp_wallets" add constraint "xp_wallets_user_unique" unique ("user_id");`);

    this.addSql(`alter table "users" add "public_profile" boolean not null default false;`);


    this.addSql(`alter table "xp_bonus_days" add constraint "xp_bonus_days_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xp_boosters" add constraint "xp_boosters_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xp_freeze_days" add constraint "xp_freeze_days_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xp_quests" add constraint "xp_quests_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "xp_wallets" add constraint "xp_wallets_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "xp_bonus_days" cascade;`);
    this.addSql(`drop table if exists "xp_boosters" cascade;`);
    this.addSql(`drop table if exists "xp_freeze_days" cascade;`);
    this.addSql(`drop table if exists "xp_quests" cascade;`);
    this.addSql(`drop table if exists "xp_wallets" cascade;`);


    this.addSql(`alter table "users" drop column "public_profile";`);
  }

}
