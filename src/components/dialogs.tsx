import { Dialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { APP_TYPES, AppType, IPlan } from '../model';

/**
 * A JupyterLab dialog whose buttons carry test ids: the dialog makes its buttons when it is
 * constructed, so they can be named before it is shown.
 */
async function launch<T>(
  options: Partial<Dialog.IOptions<T>>,
  testIds: string[]
): Promise<Dialog.IResult<T>> {
  const dialog = new Dialog<T>(options);
  dialog.node
    .querySelectorAll<HTMLButtonElement>('.jp-Dialog-footer button')
    .forEach((button, i) => {
      if (testIds[i]) {
        button.dataset.testid = testIds[i];
      }
    });
  try {
    return await dialog.launch();
  } finally {
    dialog.dispose();
  }
}

export async function confirmApply(plan: IPlan): Promise<boolean> {
  const body = (
    <div className="jp-SmSetup-dialog">
      <p>
        This writes to the IAM role <code>{plan.role_arn}</code>: the changes
        shown in the diff, and nothing else.
      </p>
      <p>
        The role’s documents are saved first; <strong>Undo</strong> puts them
        back.
      </p>
    </div>
  );
  const result = await launch(
    {
      title: 'Apply the fix to the role?',
      body,
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: 'Apply', ariaLabel: 'Apply the fix' })
      ],
      defaultButton: 0
    },
    ['cancel-apply', 'confirm-apply']
  );
  return result.button.accept;
}

export async function confirmUndo(roleArn: string): Promise<boolean> {
  const result = await launch(
    {
      title: 'Undo the fix?',
      body: `The role ${roleArn} gets back the trust policy and inline policy it had before the fix.`,
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: 'Undo', ariaLabel: 'Undo the fix' })
      ],
      defaultButton: 0
    },
    ['cancel-undo', 'confirm-undo']
  );
  return result.button.accept;
}

export interface IAttachChoice {
  imageName: string;
  appType: AppType;
  scope: 'domain' | 'user-profile';
}

/** The attach dialog's form; its value is read when the user accepts. */
class AttachForm extends Widget implements Dialog.IBodyWidget<IAttachChoice> {
  constructor(imageName: string, hasProfile: boolean) {
    super();
    this.addClass('jp-SmSetup-attachForm');
    const name = document.createElement('input');
    name.className = 'jp-mod-styled';
    name.value = imageName;
    name.id = 'jp-SmSetup-attach-name';
    name.dataset.testid = 'attach-image-name';
    name.spellcheck = false;
    const appType = document.createElement('select');
    appType.className = 'jp-mod-styled';
    appType.id = 'jp-SmSetup-attach-app';
    appType.dataset.testid = 'attach-app-type';
    for (const type of APP_TYPES) {
      appType.add(new Option(type, type));
    }
    const scope = document.createElement('select');
    scope.className = 'jp-mod-styled';
    scope.id = 'jp-SmSetup-attach-scope';
    scope.dataset.testid = 'attach-scope';
    scope.add(new Option('the whole domain', 'domain'));
    if (hasProfile) {
      scope.add(new Option('my user profile only', 'user-profile'));
    }
    const row = (label: string, control: HTMLElement): HTMLElement => {
      const div = document.createElement('div');
      div.className = 'jp-SmSetup-field';
      const text = document.createElement('label');
      text.htmlFor = control.id;
      text.textContent = label;
      div.append(text, control);
      return div;
    };
    this.node.append(
      row('SageMaker image name', name),
      row('App type', appType),
      row('Attach to', scope)
    );
    this._name = name;
    this._appType = appType;
    this._scope = scope;
  }

  getValue(): IAttachChoice {
    return {
      imageName: this._name.value.trim(),
      appType: this._appType.value as AppType,
      scope: this._scope.value as IAttachChoice['scope']
    };
  }

  private _name: HTMLInputElement;
  private _appType: HTMLSelectElement;
  private _scope: HTMLSelectElement;
}

export async function askAttach(
  imageName: string,
  hasProfile: boolean
): Promise<IAttachChoice | null> {
  const form = new AttachForm(imageName, hasProfile);
  const result = await launch<IAttachChoice>(
    {
      title: 'Attach the image to Studio',
      body: form,
      focusNodeSelector: 'input',
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: 'Attach', ariaLabel: 'Attach the image' })
      ]
    },
    ['cancel-attach', 'confirm-attach']
  );
  return result.button.accept ? result.value : null;
}
