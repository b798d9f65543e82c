using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Floodgate.Storage.Migrations.Sqlite
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
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    Zone = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    From = table.Column<int>(type: "INTEGER", nullable: true),
                    To = table.Column<int>(type: "INTEGER", nullable: false),
                    Code = table.Column<string>(type: "TEXT", maxLength: 45, nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    DelistingUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Suppressed = table.Column<bool>(type: "INTEGER", nullable: false),
                    Event = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlocklistHistory", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BlocklistStates",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    Zone = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: true),
                    Code = table.Column<string>(type: "TEXT", maxLength: 45, nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    DelistingUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Since = table.Column<long>(type: "INTEGER", nullable: true),
                    LastCheckedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastAttemptAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    LastAlertAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Announced = table.Column<bool>(type: "INTEGER", nullable: false)
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
