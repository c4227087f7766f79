import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { paramsFromSettings } from './logic';
import { DEFAULT_PARAMS, IParams } from './model';
import { SetupPanel } from './panel';
import { restClient } from './service';
import { IEnded, SetupModel } from './state';

const PLUGIN_ID = 'sm-studio-setup:plugin';

export namespace CommandIDs {
  export const open = 'sm-studio-setup:open';
  export const check = 'sm-studio-setup:check';
  export const fix = 'sm-studio-setup:fix';
  export const build = 'sm-studio-setup:build';
  export const buildFolder = 'sm-studio-setup:build-folder';
}

const CATEGORY = 'SageMaker Studio image set-up';

// Settings are written this long after the last keystroke, not on every one.
const SAVE_DELAY_MS = 600;

function announce(panel: SetupPanel, ended: IEnded): void {
  // The panel shows the outcome itself; a notification is for when it cannot be seen.
  if (panel.isVisible) {
    return;
  }
  const options = { autoClose: ended.ok ? 6000 : false } as const;
  if (ended.ok) {
    Notification.success(ended.message, options);
  } else {
    Notification.error(ended.message, options);
  }
}

async function hasDockerfile(
  app: JupyterFrontEnd,
  folder: string
): Promise<boolean> {
  const listing = await app.serviceManager.contents.get(folder, {
    content: true
  });
  const items = (listing.content ?? []) as { name: string; type: string }[];
  return items.some(item => item.type === 'file' && item.name === 'Dockerfile');
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Check, explain and fix the IAM set-up for building images from SageMaker Studio, then build and attach the image.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ISettingRegistry,
    ICommandPalette,
    IDefaultFileBrowser
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const model = new SetupModel(restClient);
    const panel = new SetupPanel(model);
    // A high rank keeps it below the file browser and the running-sessions panel.
    app.shell.add(panel, 'left', { rank: 900 });
    if (restorer) {
      restorer.add(panel, panel.id);
    }
    model.ended.connect((_, ended) => announce(panel, ended));

    if (fileBrowser) {
      const follow = () => model.setBrowserPath(fileBrowser.model.path);
      fileBrowser.model.pathChanged.connect(follow);
      follow();
    }

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          model.loadParams(
            paramsFromSettings(
              settings.composite as Record<string, unknown>,
              DEFAULT_PARAMS
            )
          );
          let timer = 0;
          model.onParamsChanged = (params: IParams) => {
            window.clearTimeout(timer);
            timer = window.setTimeout(() => {
              void Promise.all(
                Object.entries(params).map(([key, value]) =>
                  settings.set(key, value)
                )
              ).catch(reason =>
                console.warn('sm-studio-setup: settings not saved', reason)
              );
            }, SAVE_DELAY_MS);
          };
        })
        .catch(reason =>
          console.warn('sm-studio-setup: settings not loaded', reason)
        );
    }

    void model.loadIdentity();
    void model.resume();

    const open = () => app.shell.activateById(panel.id);
    app.commands.addCommand(CommandIDs.open, {
      label: 'Open the Studio image set-up panel',
      caption: 'Show who you are and check the IAM set-up',
      execute: open
    });
    app.commands.addCommand(CommandIDs.check, {
      label: 'Check the IAM set-up for the workflow',
      execute: async () => {
        open();
        await model.check();
      }
    });
    app.commands.addCommand(CommandIDs.fix, {
      label: 'Plan the IAM fix (writes nothing)',
      execute: async () => {
        open();
        await model.plan();
      }
    });
    app.commands.addCommand(CommandIDs.build, {
      label: 'Build the image of the build folder',
      isEnabled: () => !model.building,
      execute: async () => {
        open();
        await model.startBuild();
      }
    });
    app.commands.addCommand(CommandIDs.buildFolder, {
      label: 'Build image from this folder',
      caption: 'Build the Dockerfile of this folder on CodeBuild',
      isVisible: () => {
        const item = fileBrowser?.selectedItems().next();
        return !!item && !item.done && item.value.type === 'directory';
      },
      execute: async () => {
        const item = fileBrowser?.selectedItems().next();
        if (!item || item.done || item.value.type !== 'directory') {
          return;
        }
        const folder = item.value.path;
        if (!(await hasDockerfile(app, folder))) {
          Notification.warning(
            `There is no Dockerfile in ${folder}: a build folder holds one at its top.`,
            { autoClose: 8000 }
          );
          return;
        }
        model.setParams({ context: folder });
        open();
        await model.startBuild(folder);
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.buildFolder,
      selector: '.jp-DirListing-item[data-isdir="true"]',
      rank: 20
    });
    if (palette) {
      for (const command of [
        CommandIDs.open,
        CommandIDs.check,
        CommandIDs.fix,
        CommandIDs.build
      ]) {
        palette.addItem({ command, category: CATEGORY });
      }
    }
  }
};

export default plugin;
