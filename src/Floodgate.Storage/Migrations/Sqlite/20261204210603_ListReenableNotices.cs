using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Floodgate.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ListReenableNotices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ReenableSentAt",
                table: "ListMembers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_ListMembers_Status_ConfirmationsSent",
                table: "ListMembers",
                columns: new[] { "Status", "ConfirmationsSent" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ListMembers_Status_ConfirmationsSent",
                table: "ListMembers");

            migrationBuilder.DropColumn(
                name: "ReenableSentAt",
                table: "ListMembers");
        }
    }
}
