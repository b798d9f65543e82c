using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Floodgate.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class BlocklistWatch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BlocklistHistory",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Subject = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    Zone = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    From = table.Column<int>(type: "integer", nullable: true),
                    To = table.Column<int>(type: "integer", nullable: false),
                    Code = table.Column<string>(type: "character varying(45)", maxLength: 45, nullable: true),
                    Reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    DelistingUrl = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Suppressed = table.Column<bool>(type: "boolean", nullable: false),
                    Event = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlocklistHistory", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BlocklistStates",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Subject = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    Zone = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    State = table.Column<int>(type: "integer", nullable: true),
                    Code = table.Column<string>(type: "character varying(45)", maxLength: 45, nullable: true),
                    Reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    DelistingUrl = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastCheckedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastAttemptAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastError = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    LastAlertAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Announced = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlocklistStates", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BlocklistHistory_Subject_Zone_Id",
                table: "BlocklistHistory",
                columns: new[] { "Subject", "Zone", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_BlocklistStates_Subject_Zone",
                table: "BlocklistStates",
                columns: new[] { "Subject", "Zone" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BlocklistHistory");

            migrationBuilder.DropTable(
                name: "BlocklistStates");
        }
    }
}
